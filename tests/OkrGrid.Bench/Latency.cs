using HdrHistogram;

namespace OkrGrid.Bench;

/// <summary>A thread-safe latency recorder (microseconds) with the percentiles the report prints.</summary>
public sealed class Latency
{
    private readonly LongHistogram _histogram = new(TimeSpan.FromMinutes(5).Ticks / 10, 3);

    public void Record(TimeSpan elapsed)
    {
        var micros = Math.Max(0, (long)(elapsed.Ticks / 10));
        lock (_histogram) _histogram.RecordValue(Math.Min(micros, _histogram.HighestTrackableValue));
    }

    public long Count { get { lock (_histogram) return _histogram.TotalCount; } }

    /// <summary>Forgets what was recorded (a warm-up's values).</summary>
    public void Reset() { lock (_histogram) _histogram.Reset(); }

    public LatencySummary Summary()
    {
        lock (_histogram)
        {
            if (_histogram.TotalCount == 0) return new LatencySummary(0, 0, 0, 0, 0);
            double Ms(double percentile) => _histogram.GetValueAtPercentile(percentile) / 1000.0;
            return new LatencySummary(_histogram.TotalCount, Ms(50), Ms(95), Ms(99), _histogram.GetMaxValue() / 1000.0);
        }
    }
}

public sealed record LatencySummary(long Count, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public override string ToString() => Count == 0 ? "—" : $"p50 {P50Ms:F1} / p95 {P95Ms:F1} / p99 {P99Ms:F1} / max {MaxMs:F1} ms";
}
