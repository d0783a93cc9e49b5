using OkrGrid.Model;

namespace OkrGrid.Domain.Scoring;

/// <summary>What a key result's score is computed from: its current value and confidence.</summary>
public readonly record struct KeyResultInput(double Current, bool HasValue, double? Confidence)
{
    /// <summary>Before any check-in a key result stands at its start value, with no data.</summary>
    public static KeyResultInput Initial(KeyResultDefinition kr) => new(kr.Start, false, null);

    /// <summary>
    /// The input of a key result from its check-ins: the value of the latest one by time (a later arrival wins a
    /// tie), and the confidence of the latest one that gave a confidence. With <paramref name="asOf"/>, only check-ins
    /// dated at or before it count.
    /// </summary>
    public static KeyResultInput FromCheckIns(KeyResultDefinition kr, IEnumerable<CheckIn> checkIns, DateTimeOffset? asOf = null)
    {
        var until = asOf ?? DateTimeOffset.MaxValue;
        CheckIn? latest = null, latestConfident = null;
        foreach (var c in checkIns)
        {
            if (c.At > until) continue;
            if (latest is null || c.At >= latest.At) latest = c;
            if (c.Confidence is not null && (latestConfident is null || c.At >= latestConfident.At)) latestConfident = c;
        }
        return latest is null ? Initial(kr) : new(latest.Value, true, latestConfident?.Confidence);
    }

    /// <summary>A KPI-linked key result's input from the KPI's latest measurement.</summary>
    public static KeyResultInput FromKpi(KeyResultDefinition kr, double? latest, double? confidence) =>
        latest is { } v ? new(v, true, confidence) : new(kr.Start, false, confidence);
}
