using OkrGrid.Model;

namespace OkrGrid.Scoring;

/// <summary>
/// A key result's durable check-ins reduced to what its input as of an instant is computed from — date, value,
/// confidence — in one array of structs, in commit order, by the rule of <see cref="KeyResultInput.FromCheckIns"/>.
/// A scorecard as of an instant reads every key result of a cycle: a contiguous array is a few cache lines per key
/// result, where the check-in records are one scattered object each (at 100k nodes that walk was half of the time).
/// Immutable: <see cref="Append"/> returns a new timeline, so one can be handed to another thread as it is.
/// </summary>
public sealed class CheckInTimeline
{
    public static readonly CheckInTimeline Empty = new([]);

    /// <summary>A check-in's date (UTC ticks), value and confidence (NaN when it gave none: a confidence is a number in [0, 1]).</summary>
    private readonly record struct Point(long AtUtcTicks, double Value, double Confidence);

    private readonly Point[] _points;

    private CheckInTimeline(Point[] points) => _points = points;

    public int Count => _points.Length;

    /// <summary>This timeline with <paramref name="checkIns"/> after it (they committed later).</summary>
    public CheckInTimeline Append(IReadOnlyList<CheckIn> checkIns)
    {
        if (checkIns.Count == 0) return this;
        var points = new Point[_points.Length + checkIns.Count];
        _points.CopyTo(points, 0);
        for (int i = 0; i < checkIns.Count; i++)
        {
            var c = checkIns[i];
            points[_points.Length + i] = new Point(c.At.UtcTicks, c.Value, c.Confidence ?? double.NaN);
        }
        return new CheckInTimeline(points);
    }

    /// <summary>
    /// The key result's input from the check-ins dated at or before <paramref name="asOf"/> (all when null): the value
    /// of the latest by date, a later commit winning a tie, and the confidence of the latest that gave one.
    /// </summary>
    public KeyResultInput InputOf(KeyResultDefinition kr, DateTimeOffset? asOf = null)
    {
        var until = asOf?.UtcTicks ?? long.MaxValue;
        int latest = -1, confident = -1;
        var points = _points;
        for (int i = 0; i < points.Length; i++)
        {
            var at = points[i].AtUtcTicks;
            if (at > until) continue;
            if (latest < 0 || at >= points[latest].AtUtcTicks) latest = i;
            if (!double.IsNaN(points[i].Confidence) && (confident < 0 || at >= points[confident].AtUtcTicks)) confident = i;
        }
        return latest < 0 ? KeyResultInput.Initial(kr)
            : new(points[latest].Value, true, confident < 0 ? null : points[confident].Confidence);
    }
}
