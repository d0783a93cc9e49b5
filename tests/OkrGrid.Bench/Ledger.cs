namespace OkrGrid.Bench;

/// <summary>
/// What was acknowledged, kept just as the reference needs it: per key result the latest check-in by time, per
/// KPI the latest measurement. Check-in times come from one counter, so "latest" is well defined under concurrency.
/// </summary>
public sealed class Ledger(DateTimeOffset baseTime)
{
    private long _stamp;
    private readonly ConcurrentDictionary<string, (long Stamp, double Value, double? Confidence)> _keyResults = new();
    private readonly ConcurrentDictionary<string, (long Stamp, double Value)> _kpis = new();

    public long Acknowledged;

    /// <summary>A new, unique stamp and the check-in time it stands for (1 µs apart: times are stored to the µs).</summary>
    public (long Stamp, DateTimeOffset At) NextStamp()
    {
        var stamp = Interlocked.Increment(ref _stamp);
        return (stamp, baseTime.AddTicks(stamp * 10));
    }

    public void CheckInAcknowledged(string keyResultId, long stamp, double value, double? confidence)
    {
        Interlocked.Increment(ref Acknowledged);
        _keyResults.AddOrUpdate(keyResultId, (stamp, value, confidence),
            (_, old) => old.Stamp > stamp ? old : (stamp, value, confidence));
    }

    public void MeasurementAcknowledged(string kpiId, long stamp, double value) =>
        _kpis.AddOrUpdate(kpiId, (stamp, value), (_, old) => old.Stamp > stamp ? old : (stamp, value));

    public KeyResultInput InputOf(KeyResultDefinition kr)
    {
        if (kr.Kind == KeyResultKind.KpiLinked)
            return KeyResultInput.FromKpi(kr, _kpis.TryGetValue(kr.KpiId!, out var m) ? m.Value : null, null);
        return _keyResults.TryGetValue(kr.Id, out var c) ? new KeyResultInput(c.Value, true, c.Confidence) : KeyResultInput.Initial(kr);
    }
}
