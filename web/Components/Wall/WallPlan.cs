namespace OkrGrid.Web.Components.Wall;

/// <summary>How the wall lays out a scorecard's objectives: columns, how much of each card it shows, and how many fit.</summary>
public sealed record WallLayoutPlan(int Columns, string Density, int Shown);

/// <summary>
/// Chooses the densest-but-readable layout that fits the wall's objective area without scrolling. Heights are in
/// the wall's em (the root scales with the screen), estimated from the card parts in css/app.css.
/// </summary>
public static class WallPlan
{
    /// <summary>Height of the objective area in em (1080 px screen, header, footer and labels taken off).</summary>
    public const double Budget = 49.5;
    private const double Gap = 0.9;

    public static double CardHeight(string density, int keyResults) => density switch
    {
        "roomy" => 11.2 + 3.4 * keyResults,
        "full" => 8.8 + 2.8 * keyResults,
        "compact" => 6.6 + 1.85 * keyResults,
        _ => 6.2,
    };

    public static WallLayoutPlan For(IReadOnlyList<int> keyResultCounts, bool withKpis)
    {
        var n = keyResultCounts.Count;
        if (n == 0) return new(1, "full", 0);
        (int Cols, string Density)[] candidates = withKpis
            ? [(1, "roomy"), (1, "full"), (1, "compact"), (2, "full"), (2, "compact"), (2, "summary"), (3, "summary")]
            : [(1, "roomy"), (1, "full"), (2, "full"), (2, "compact"), (3, "compact"), (3, "summary"), (4, "summary")];
        foreach (var (cols, density) in candidates)
            if (Fits(keyResultCounts, cols, density)) return new(cols, density, n);

        var (lastCols, lastDensity) = candidates[^1];
        var rows = (int)Math.Floor((Budget + Gap) / (CardHeight(lastDensity, 0) + Gap));
        return new(lastCols, lastDensity, Math.Min(n, Math.Max(1, rows) * lastCols));
    }

    private static bool Fits(IReadOnlyList<int> counts, int cols, string density)
    {
        // Rows share the height equally (grid-auto-rows: 1fr), so every row is as tall as the tallest card.
        var rows = (counts.Count + cols - 1) / cols;
        var tallest = counts.Max(k => CardHeight(density, k));
        return rows * tallest + (rows - 1) * Gap <= Budget;
    }
}
