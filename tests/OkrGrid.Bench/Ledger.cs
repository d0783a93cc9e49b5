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

    /// <summary>Every acknowledged check-in (key result, stamp, value), when asked for (<see cref="KeepEveryCheckIn"/>): to look each up in the journal.</summary>
    private ConcurrentQueue<(string KeyResult, long Stamp, double Value)>? _every;

    /// <summary>From now on keeps every acknowledged check-in, not only the latest per key result (see <see cref="Every"/>).</summary>
    public void KeepEveryCheckIn() => _every ??= new();

    public IReadOnlyCollection<(string KeyResult, long Stamp, double Value)> Every =>
        (IReadOnlyCollection<(string, long, double)>?)_every ?? [];

    /// <summary>A new, unique stamp and the check-in time it stands for (1 µs apart: times are stored to the µs).</summary>
    public (long Stamp, DateTimeOffset At) NextStamp()
    {
        var stamp = Interlocked.Increment(ref _stamp);
        return (stamp, baseTime.AddTicks(stamp * 10));
    }

    public void CheckInAcknowledged(string keyResultId, long stamp, double value, double? confidence)
    {
        Interlocked.Increment(ref Acknowledged);
        _every?.Enqueue((keyResultId, stamp, value));
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
