using System.Globalization;

namespace OkrGrid.Web.Components.Shared;

/// <summary>How numbers, percentages, units, statuses and times read everywhere in the dashboards (English).</summary>
public static class Fmt
{
    public static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-GB");
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>0.625 → "63%" (rounded to whole percent; raw progress may exceed 100%).</summary>
    public static string Pct(double fraction) => Math.Round(fraction * 100, MidpointRounding.AwayFromZero).ToString("0", Culture) + "%";

    /// <summary>The percentage as a bare number, "63".</summary>
    public static string PctNumber(double fraction) => Math.Round(fraction * 100, MidpointRounding.AwayFromZero).ToString("0", Culture);

    /// <summary>A value as people write it: 18,500 · 99.95 · 4.3 · 2.</summary>
    public static string Num(double value) =>
        Math.Abs(value) >= 1000 ? value.ToString("#,0.#", Culture) : value.ToString("0.##", Culture);

    /// <summary>"%" sticks to the number; any other unit follows after a space, in the singular for one ("1 customer").</summary>
    public static string WithUnit(double value, string unit) => WithUnit(Num(value), unit);

    public static string WithUnit(string number, string unit) =>
        string.IsNullOrEmpty(unit) ? number : unit == "%" ? number + "%" : $"{number} {UnitFor(number, unit)}";

    /// <summary>
    /// The unit as it reads after this number: a unit is written in the plural ("customers", "days", "story points",
    /// "tickets/day"), so after exactly one ("1", "-1") its counted word loses its plural ending — "1 customer",
    /// "1 story point", "1 ticket/day". Symbols and abbreviations stay as they are ("1 ms", "1 h", "1 kbps", "1 NPS").
    /// </summary>
    public static string UnitFor(string number, string unit) =>
        number is "1" or "-1" or "−1" ? Singular(unit) : unit;

    /// <summary>The singular of a unit written in the plural; the counted word is the last before "per" or "/".</summary>
    public static string Singular(string unit)
    {
        if (string.IsNullOrEmpty(unit)) return unit;
        // "customers per week", "tickets/day": the word counted comes before the rate.
        var end = unit.Length;
        var per = unit.IndexOf(" per ", StringComparison.Ordinal);
        var slash = unit.IndexOf('/');
        if (per >= 0) end = per;
        if (slash >= 0 && slash < end) end = slash;
        var start = unit.LastIndexOf(' ', Math.Max(0, end - 1), end) + 1;
        var word = unit[start..end];
        var one = SingularWord(word);
        return one == word ? unit : string.Concat(unit.AsSpan(0, start), one, unit.AsSpan(end));
    }

    private static string SingularWord(string word)
    {
        // Only a lower-case plural of three letters or more: not "ms", "s", "NPS"; not "kbps"/"fps" (per second), "bonus",
        // "status", "analysis" or "class", which end in s without being plurals.
        if (word.Length < 3 || !word.All(char.IsAsciiLetter) || !word.EndsWith('s') || char.IsUpper(word[^2])
            || word.EndsWith("ss", StringComparison.Ordinal) || word.EndsWith("us", StringComparison.Ordinal)
            || word.EndsWith("is", StringComparison.Ordinal) || word.EndsWith("ps", StringComparison.Ordinal) || Unchanged.Contains(word))
            return word;
        if (word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal)) return word[..^3] + "y";   // stories → story
        if (EsPlural.Any(e => word.EndsWith(e, StringComparison.Ordinal))) return word[..^2];              // batches → batch
        return word[..^1];                                                                                     // customers → customer
    }

    /// <summary>Endings whose plural adds "es" (batches, pushes, fixes, classes); other words just add "s".</summary>
    private static readonly string[] EsPlural = ["tches", "rches", "nches", "shes", "xes", "sses", "zzes"];

    /// <summary>Words that end in s and are the same in the singular.</summary>
    private static readonly HashSet<string> Unchanged = ["series", "species", "news", "means", "lens"];

    /// <summary>A number for CSS or SVG attributes: invariant, short.</summary>
    public static string Css(double value) => value.ToString("0.###", Invariant);

    /// <summary>A value in a data attribute, for scripts and tests: every digit (rounding it would change what it says).</summary>
    public static string Data(double value) => value.ToString("R", Invariant);

    public static string StatusLabel(Status status) => status switch
    {
        Status.OnTrack => "On track",
        Status.AtRisk => "At risk",
        Status.OffTrack => "Off track",
        _ => "No data",
    };

    /// <summary>The CSS modifier of a status: on-track, at-risk, off-track, no-data.</summary>
    public static string StatusClass(Status status) => status switch
    {
        Status.OnTrack => "on-track",
        Status.AtRisk => "at-risk",
        Status.OffTrack => "off-track",
        _ => "no-data",
    };

    public static string HealthLabel(Health health) => health switch
    {
        Health.Green => "Healthy",
        Health.Yellow => "Watch",
        Health.Red => "Critical",
        _ => "No data",
    };

    /// <summary>The status colour a KPI health maps to.</summary>
    public static string HealthClass(Health health) => health switch
    {
        Health.Green => "on-track",
        Health.Yellow => "at-risk",
        Health.Red => "off-track",
        _ => "no-data",
    };

    /// <summary>"just now", "12 s ago", "4 min ago", "3 h ago", "2 d ago".</summary>
    public static string Ago(TimeSpan age) => age.TotalSeconds switch
    {
        < 2 => "just now",
        < 60 => $"{(int)age.TotalSeconds} s ago",
        < 3600 => $"{(int)age.TotalMinutes} min ago",
        < 86400 => $"{(int)age.TotalHours} h ago",
        _ => $"{(int)age.TotalDays} d ago",
    };

    public static string Date(DateTimeOffset at) => at.ToString("d MMM yyyy", Culture);

    public static string DateTime(DateTimeOffset at) => at.ToString("d MMM yyyy, HH:mm", Culture);

    public static string ShortDate(DateTimeOffset at) => at.ToString("d MMM", Culture);

    /// <summary>"Ada Lovelace" → "AL".</summary>
    public static string Initials(string name)
    {
        var parts = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length switch
        {
            0 => "?",
            1 => parts[0][..1].ToUpperInvariant(),
            _ => (parts[0][..1] + parts[^1][..1]).ToUpperInvariant(),
        };
    }

    public static string Plural(int count, string one, string? many = null) =>
        $"{count.ToString("#,0", Culture)} {(count == 1 ? one : many ?? one + "s")}";
}
