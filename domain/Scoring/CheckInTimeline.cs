using OkrGrid.Model;

namespace OkrGrid.Domain.Scoring;

/// <summary>
/// A key result's durable check-ins reduced to what its input as of an instant is computed from — date, value,
/// confidence — in one array of structs, in commit order, by the rule of <see cref="KeyResultInput.FromCheckIns"/>.
/// A scorecard as of an instant reads every key result of a cycle: a contiguous array is a few cache lines per key
/// result, where the check-in records are one scattered object each (at 100k nodes that walk was half of the time).
/// Immutable: <see cref="Append(IReadOnlyList{CheckIn})"/> returns a new timeline, so one can be handed to another thread as it is.
/// </summary>
public sealed class CheckInTimeline
{
    public static readonly CheckInTimeline Empty = new(new Buffer([]), 0);

    /// <summary>A check-in's date (UTC ticks), value and confidence (NaN when it gave none: a confidence is a number in [0, 1]).</summary>
    private readonly record struct Point(long AtUtcTicks, double Value, double Confidence);

    /// <summary>
    /// Items shared by the timelines appended from one another: a timeline reads only its first <see cref="_count"/>,
    /// and only the newest timeline of a buffer writes after them (amortised O(1) appends, where a KPI may be measured
    /// every minute for years). An older timeline appended to again copies instead.
    /// </summary>
    private sealed class Buffer(Point[] items)
    {
        public readonly Point[] Items = items;
        public int Used = items.Length;
    }

    private readonly Buffer _buffer;
    private readonly int _count;

    private CheckInTimeline(Buffer buffer, int count) => (_buffer, _count) = (buffer, count);

    public int Count => _count;

    /// <summary>This timeline with <paramref name="checkIns"/> after it (they committed later).</summary>
    public CheckInTimeline Append(IReadOnlyList<CheckIn> checkIns)
    {
        if (checkIns.Count == 0) return this;
        var (buffer, at) = Room(checkIns.Count);
        for (int i = 0; i < checkIns.Count; i++)
        {
            var c = checkIns[i];
            buffer.Items[at + i] = new Point(c.At.UtcTicks, c.Value, c.Confidence ?? double.NaN);
        }
        return Commit(buffer, at + checkIns.Count);
    }

    /// <summary>This timeline with one value after it, dated <paramref name="at"/> (a KPI's measurement: no confidence).</summary>
    public CheckInTimeline Append(DateTimeOffset at, double value)
    {
        var (buffer, index) = Room(1);
        buffer.Items[index] = new Point(at.UtcTicks, value, double.NaN);
        return Commit(buffer, index + 1);
    }

    /// <summary>A buffer with room for <paramref name="more"/> items after this timeline's, and where they go.</summary>
    private (Buffer Buffer, int At) Room(int more)
    {
        if (_buffer.Used == _count && _buffer.Items.Length >= _count + more) return (_buffer, _count);
        // The first items exactly (most key results have a few check-ins, and memory counts); growth doubles.
        var items = new Point[_count == 0 ? more : Math.Max(_count + more, _count * 2)];
        Array.Copy(_buffer.Items, items, _count);
        return (new Buffer(items) { Used = _count }, _count);
    }

    private static CheckInTimeline Commit(Buffer buffer, int count)
    {
        buffer.Used = count;
        return new CheckInTimeline(buffer, count);
    }

    /// <summary>
    /// The latest value dated at or before <paramref name="asOf"/> (all when null) — a later commit winning a tie —
    /// and the confidence of the latest that gave one.
    /// </summary>
    public (bool HasValue, double Value, double? Confidence) LatestAsOf(DateTimeOffset? asOf = null)
    {
        var until = asOf?.UtcTicks ?? long.MaxValue;
        int latest = -1, confident = -1;
        var points = _buffer.Items;
        for (int i = 0; i < _count; i++)
        {
            var at = points[i].AtUtcTicks;
            if (at > until) continue;
            if (latest < 0 || at >= points[latest].AtUtcTicks) latest = i;
            if (!double.IsNaN(points[i].Confidence) && (confident < 0 || at >= points[confident].AtUtcTicks)) confident = i;
        }
        return latest < 0 ? (false, 0, null) : (true, points[latest].Value, confident < 0 ? null : points[confident].Confidence);
    }

    /// <summary>
    /// The key result's input from the check-ins dated at or before <paramref name="asOf"/> (all when null), by the
    /// rule of <see cref="KeyResultInput.FromCheckIns"/>.
    /// </summary>
    public KeyResultInput InputOf(KeyResultDefinition kr, DateTimeOffset? asOf = null)
    {
        var (hasValue, value, confidence) = LatestAsOf(asOf);
        return hasValue ? new(value, true, confidence) : KeyResultInput.Initial(kr);
    }
}
