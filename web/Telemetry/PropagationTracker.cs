using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OkrGrid.Engine.Telemetry;

namespace OkrGrid.Web.Telemetry;

/// <summary>The web host's instruments, on OkrGrid's meter.</summary>
public static class WebMetrics
{
    /// <summary>SignalR connections open on this host's hub.</summary>
    public static readonly UpDownCounter<long> HubConnections = OkrGridMetrics.Meter.CreateUpDownCounter<long>(
        "okrgrid.hub.connections", "{connection}", "SignalR connections open on /hubs/scorecard of this host.");

    public static readonly Histogram<double> PropagationLag = OkrGridMetrics.Meter.CreateHistogram<double>(
        "okrgrid.propagation.lag", "s",
        "From a traced check-in's acknowledgement by this host to the last objective publication carrying its trace (the top of its chain: the company objective when it is aligned up to one).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = OkrGridMetrics.LatencyBuckets });

    public static readonly Counter<long> PropagationUnobserved = OkrGridMetrics.Meter.CreateCounter<long>(
        "okrgrid.propagation.unobserved", "{check-in}",
        "Traced check-ins acknowledged by this host whose trace reached no objective on the change feed within a minute (a key result under no objective, or a lost change).");

    public static readonly Histogram<double> FeedDeliveryLag = OkrGridMetrics.Meter.CreateHistogram<double>(
        "okrgrid.feed.delivery.lag", "s", "From a node change's publication in its silo to this host hearing it on the change feed.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = OkrGridMetrics.LatencyBuckets });
}

/// <summary>
/// Propagation lag, as closely as the engine lets a host see it. A check-in's trace id (optional, given by the client)
/// rides up the cascade with the first publication of each ancestor that reflects it (<see cref="NodeScore.Traces"/>),
/// and those publications reach every web host on the change feed with the instant their silo published them. This
/// host notes when it acknowledged a traced check-in (the 201) and the latest objective publication carrying the trace;
/// once no further one has come for <see cref="Quiet"/>, it records the difference: acknowledgement → the top of the
/// chain, the company objective for a key result aligned up to one. Untraced check-ins leave no mark on what they
/// cause, so they cannot be timed (the benchmark's figure does the same with its own traces). The two instants come from
/// the web host's and the publishing silo's clocks: across machines, their skew is part of the number.
/// </summary>
public sealed class PropagationTracker([FromKeyedServices(EngineClock.Key)] TimeProvider clock, ILogger<PropagationTracker> logger) : BackgroundService
{
    /// <summary>No further publication for this long: the trace has reached the top.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    /// <summary>A trace acknowledged here that reached no objective within this long is given up.</summary>
    private static readonly TimeSpan GiveUp = TimeSpan.FromMinutes(1);

    /// <summary>A trace seen on the feed but never acknowledged here (another host's check-in) is forgotten after this.</summary>
    private static readonly TimeSpan Foreign = TimeSpan.FromSeconds(10);

    /// <summary>Traces are a diagnostic: a client sending one with every check-in must not grow this without bound.</summary>
    private const int MaxTracked = 20_000;

    private sealed class Trace
    {
        public DateTimeOffset? AcknowledgedAt;
        public DateTimeOffset? LastPublishedAt;
        public DateTimeOffset Touched;
    }

    private readonly ConcurrentDictionary<string, Trace> _traces = new(StringComparer.Ordinal);

    /// <summary>This host answered 201 to a check-in carrying <paramref name="traceId"/>.</summary>
    public void Acknowledged(string traceId)
    {
        var now = clock.GetUtcNow();
        if (!_traces.TryGetValue(traceId, out var trace))
        {
            if (_traces.Count >= MaxTracked) return;
            trace = _traces.GetOrAdd(traceId, _ => new Trace());
        }
        lock (trace)
        {
            trace.AcknowledgedAt = now;
            trace.Touched = now;
        }
    }

    /// <summary>A batch from the change feed (before the board applies it).</summary>
    public void Observe(ImmutableArray<NodeChange> changes)
    {
        var now = clock.GetUtcNow();
        foreach (var change in changes)
        {
            WebMetrics.FeedDeliveryLag.Record(Math.Max(0, (now - change.At).TotalSeconds));
            if (change.Kind != NodeKind.Objective || change.Score?.Traces is not { Length: > 0 } traces) continue;
            foreach (var id in traces)
            {
                // The feed can outrun the 201 (the publication and the answer race): keep what was seen for a while.
                if (!_traces.TryGetValue(id, out var trace))
                {
                    if (_traces.Count >= MaxTracked) continue;
                    trace = _traces.GetOrAdd(id, _ => new Trace());
                }
                lock (trace)
                {
                    if (trace.LastPublishedAt is not { } last || change.At > last) trace.LastPublishedAt = change.At;
                    trace.Touched = now;
                }
            }
        }
    }

    /// <summary>Records the traces that have gone quiet and forgets those that never will; returns how many were recorded.</summary>
    public int Sweep()
    {
        var now = clock.GetUtcNow();
        var recorded = 0;
        foreach (var (id, trace) in _traces)
        {
            lock (trace)
            {
                var idle = now - trace.Touched;
                if (trace.AcknowledgedAt is { } acknowledged)
                {
                    if (trace.LastPublishedAt is { } published && idle >= Quiet)
                    {
                        WebMetrics.PropagationLag.Record(Math.Max(0, (published - acknowledged).TotalSeconds));
                        recorded++;
                    }
                    else if (trace.LastPublishedAt is null && idle >= GiveUp) WebMetrics.PropagationUnobserved.Add(1);
                    else continue;
                }
                else if (idle < Foreign) continue;
            }
            _traces.TryRemove(id, out _);
        }
        return recorded;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { Sweep(); }
                catch (Exception ex) { logger.LogWarning(ex, "Propagation tracking failed; will retry."); }
            }
        }
        catch (OperationCanceledException) { }
    }
}
