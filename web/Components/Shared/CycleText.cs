namespace OkrGrid.Web.Components.Shared;

public static class CycleText
{
    /// <summary>"week 8 of 14 · 38 days left", "starts 1 Jan 2027", "closed".</summary>
    public static string Progress(CycleDefinition d, bool closed, DateTimeOffset now)
    {
        if (closed) return "closed";
        if (now < d.Start) return $"starts {Fmt.Date(d.Start)}";
        if (now >= d.End) return "ended";
        var weeks = Math.Max(1, (int)Math.Ceiling((d.End - d.Start).TotalDays / 7));
        var week = Math.Clamp((int)((now - d.Start).TotalDays / 7) + 1, 1, weeks);
        var daysLeft = Math.Max(0, (int)Math.Ceiling((d.End - now).TotalDays));
        return $"week {week} of {weeks} · {Fmt.Plural(daysLeft, "day")} left";
    }
}
