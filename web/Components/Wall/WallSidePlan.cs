namespace OkrGrid.Web.Components.Wall;

/// <summary>How many KPI tiles, "contributes to" cards and latest updates a team wall's right-hand column shows.</summary>
public sealed record WallSide(int Kpis, int Supports, int Updates)
{
    public static WallSide None { get; } = new(0, 0, 0);
}

/// <summary>
/// Fills the right-hand column of a team's wall top to bottom without cutting anything: KPI tiles first (at most two
/// beside other things), then the objectives the team contributes to, then the latest updates in whatever height is
/// left — at least two updates when there are any, so the feed never shrinks to a heading. Heights are in the wall's
/// em (the root scales with the screen, so one plan fits every 16:9 screen), measured on the rendered wall (the
/// side's CSS is in Wall.razor.css).
/// </summary>
public static class WallSidePlan
{
    /// <summary>Height of the right-hand column in em, from its first label to the footer.</summary>
    public const double Height = 51.5;
    /// <summary>Space between the column's parts (a label and what follows it; one list and the next label).</summary>
    public const double Gap = 0.7;
    public const double Label = 1.2;
    public const double KpiTile = 11.4;
    public const double KpiGap = 0.9;
    /// <summary>A "contributes to" card with a one-line title; a second title line adds <see cref="TitleLine"/>.</summary>
    public const double Support = 6.3;
    public const double TitleLine = 1.4;
    public const double SupportGap = 0.55;
    public const double Update = 3.7;
    public const double UpdateGap = 0.5;
    /// <summary>About how many characters of a support's title fit on one line of its card (two lines at most).</summary>
    public const int CharsPerLine = 34;

    public static double SupportHeight(int titleLength) => Support + (titleLength > CharsPerLine ? TitleLine : 0);

    /// <param name="kpis">KPIs the team owns.</param>
    /// <param name="supportTitles">Title lengths of the objectives it contributes to, in the order shown.</param>
    /// <param name="updates">Updates there are to show (0 on a past scorecard, where the feed says why it is empty).</param>
    public static WallSide For(int kpis, IReadOnlyList<int> supportTitles, int updates)
    {
        var left = Height;
        var kpiCount = supportTitles.Count > 0 || updates > 0 ? Math.Min(kpis, 2) : kpis;
        if (kpiCount > 0) left -= Label + Gap + kpiCount * KpiTile + (kpiCount - 1) * KpiGap + Gap;

        // What the feed needs at least: its label and two updates (or its one-line "nothing yet" note).
        var feedFloor = Label + Gap + Math.Max(1, Math.Min(updates, 2)) * (Update + UpdateGap);
        var supports = 0;
        if (supportTitles.Count > 0)
        {
            var used = Label + Gap;
            while (supports < supportTitles.Count)
            {
                var next = used + SupportHeight(supportTitles[supports]) + (supports > 0 ? SupportGap : 0);
                if (next + Gap > left - feedFloor) break;
                used = next;
                supports++;
            }
            if (supports > 0) left -= used + Gap;
        }
        var shown = (int)Math.Floor((left - Label - Gap + UpdateGap) / (Update + UpdateGap));
        return new WallSide(kpiCount, supports, Math.Clamp(shown, 0, updates));
    }
}
