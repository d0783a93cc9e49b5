using System.Text.RegularExpressions;
using OkrGrid.Model;
using OkrGrid.Validation;

namespace OkrGrid.Domain.Validation;

/// <summary>Input rules shared by grains and the API, each throwing <see cref="OkrRejectedException"/>.</summary>
public static partial class Check
{
    public const int MaxTitle = 200;
    public const int MaxDescription = 4000;
    public const int MaxNote = 2000;
    public const int MaxName = 200;
    public const int MaxUnit = 32;
    public const int MaxClientId = 100;
    public const double MaxWeight = 1000;
    public const double MaxMagnitude = 1e12;

    /// <summary>Zero-width and other invisible characters a title is trimmed of.</summary>
    private static readonly char[] Invisible = ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD'];

    /// <summary>Cycles lie between these (a quarter of year 1 or 9999 is a typo, and breaks every chart).</summary>
    public static readonly DateTimeOffset EarliestDate = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset LatestDate = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The longest cycle: OKR cycles are quarters or years; two years leaves room.</summary>
    public static readonly TimeSpan MaxCycleLength = TimeSpan.FromDays(731);

    /// <summary>A cycle's span: within the supported dates, end after start, at most two years.</summary>
    public static void CycleSpan(DateTimeOffset start, DateTimeOffset end)
    {
        if (start < EarliestDate || start >= LatestDate) throw OkrRejectedException.Invalid("start", $"must be between {EarliestDate:yyyy-MM-dd} and {LatestDate:yyyy-MM-dd}.");
        if (end < EarliestDate || end > LatestDate) throw OkrRejectedException.Invalid("end", $"must be between {EarliestDate:yyyy-MM-dd} and {LatestDate:yyyy-MM-dd}.");
        if (end <= start) throw OkrRejectedException.Invalid("end", "must be after start.");
        if (end - start > MaxCycleLength) throw OkrRejectedException.Invalid("end", $"a cycle lasts at most {MaxCycleLength.TotalDays:0} days (got {(end - start).TotalDays:0}).");
    }

    /// <summary>
    /// A title or name: trimmed (of whitespace and invisible characters such as zero-width spaces); it must show
    /// something, and holds no control characters (a line break or a NUL in a title breaks every list it is in).
    /// </summary>
    public static string Title(string field, string? value, int max = MaxTitle)
    {
        var t = (value ?? "").Trim().Trim(Invisible).Trim();
        if (t.Any(char.IsControl)) throw OkrRejectedException.Invalid(field, "must not contain control characters (line breaks, tabs, NUL, …).");
        if (t.All(c => char.IsWhiteSpace(c) || System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
            throw OkrRejectedException.Invalid(field, "must not be empty.");
        if (t.Length > max) throw OkrRejectedException.Invalid(field, $"must be at most {max} characters (got {t.Length}).");
        return t;
    }

    public static string Text(string field, string? value, int max)
    {
        var t = value ?? "";
        if (t.Length > max) throw OkrRejectedException.Invalid(field, $"must be at most {max} characters (got {t.Length}).");
        return t;
    }

    public static double Number(string field, double value)
    {
        if (double.IsNaN(value)) throw OkrRejectedException.Invalid(field, "must be a number (got NaN).");
        if (double.IsInfinity(value)) throw OkrRejectedException.Invalid(field, "must be finite.");
        if (Math.Abs(value) > MaxMagnitude) throw OkrRejectedException.Invalid(field, $"must be within ±{MaxMagnitude:G}.");
        return value;
    }

    /// <summary>The smallest weight above 0: anything finer reads as 0 (5e-324 once made a key result count for nothing).</summary>
    public const double MinWeight = 1e-6;

    public static double Weight(string field, double value)
    {
        Number(field, value);
        if (value < 0) throw OkrRejectedException.Invalid(field, "must not be negative.");
        if (value is > 0 and < MinWeight) throw OkrRejectedException.Invalid(field, $"must be 0 (does not count) or at least {MinWeight:0.######}.");
        if (value > MaxWeight) throw OkrRejectedException.Invalid(field, $"must be at most {MaxWeight}.");
        return value;
    }

    public static double? Confidence(string field, double? value)
    {
        if (value is not { } v) return null;
        Number(field, v);
        if (v is < 0 or > 1) throw OkrRejectedException.Invalid(field, "must be between 0 and 1.");
        return v;
    }

    public static string ClientId(string field, string? value)
    {
        var t = value?.Trim() ?? "";
        if (t.Length == 0) throw OkrRejectedException.Invalid(field, "must not be empty: it makes a retry apply once.");
        if (t.Length > MaxClientId) throw OkrRejectedException.Invalid(field, $"must be at most {MaxClientId} characters.");
        return t;
    }

    /// <summary>A slug usable as an id or id part: lower-case letters, digits, '-' and '_', 1–64 long.</summary>
    public static string Slug(string field, string? value)
    {
        if (value is null || !SlugPattern().IsMatch(value))
            throw OkrRejectedException.Invalid(field, "must be 1–64 characters of a–z, 0–9, '-' or '_', starting with a letter or digit.");
        return value;
    }

    /// <summary>
    /// A point in time as it is stored: UTC, to the microsecond (PostgreSQL's precision). Normalising before a
    /// check-in is applied keeps the live order of check-ins identical to the order read back after a restart.
    /// </summary>
    public static DateTimeOffset Instant(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % 10, TimeSpan.Zero);

    public static void Enum<T>(string field, T value) where T : struct, System.Enum
    {
        if (!System.Enum.IsDefined(value)) throw OkrRejectedException.Invalid(field, $"'{value}' is not one of {string.Join(", ", System.Enum.GetNames<T>())}.");
    }

    /// <summary>Checks the numbers of a key result definition against its kind.</summary>
    public static void KeyResultShape(KeyResultKind kind, double start, double target, string? kpiId)
    {
        Enum("kind", kind);
        Number("start", start);
        Number("target", target);
        switch (kind)
        {
            case KeyResultKind.Increase when target <= start:
                throw OkrRejectedException.Invalid("target", $"an increase key result needs a target above its start ({start}).");
            case KeyResultKind.Decrease when target >= start:
                throw OkrRejectedException.Invalid("target", $"a decrease key result needs a target below its start ({start}).");
            case KeyResultKind.KpiLinked when target == start:
                throw OkrRejectedException.Invalid("target", "must differ from start.");
            case KeyResultKind.Milestone when start != 0 || target != 1:
                throw OkrRejectedException.Invalid("target", "a milestone runs from 0 (not done) to 1 (done).");
        }
        if (kind == KeyResultKind.KpiLinked && string.IsNullOrWhiteSpace(kpiId))
            throw OkrRejectedException.Invalid("kpiId", "a KPI-linked key result needs the id of its KPI.");
        if (kind != KeyResultKind.KpiLinked && kpiId is not null)
            throw OkrRejectedException.Invalid("kpiId", "only a KPI-linked key result takes a KPI.");
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,63}\z")]
    private static partial Regex SlugPattern();
}
