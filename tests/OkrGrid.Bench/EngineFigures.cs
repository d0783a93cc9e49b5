namespace OkrGrid.Bench;

public sealed record ThroughputResult(int Concurrency, long CheckIns, double PerSecond, LatencySummary Acknowledgement);

public sealed record PropagationResult(double RatePerSecond, long Sent, long Acknowledged, long Errors,
    LatencySummary Acknowledgement, LatencySummary ToCompanyObjective, long TracesLost);

/// <summary>
/// Figures 1 and 2: durable check-ins per second through the grain client with full propagation (closed loop),
/// and propagation latency from acknowledgement to a company objective on the change feed (open loop).
/// </summary>
public sealed class EngineFigures(IClusterClient client, SyntheticOrg org, CheckInWorkload workload, Ledger ledger, BenchOptions options)
{
    private IKeyResultGrain Kr(string id) => client.GetGrain<IKeyResultGrain>(id);

    /// <summary>Closed loop: <paramref name="concurrency"/> check-ins always in flight, each counted when acknowledged (= committed).</summary>
    public async Task<ThroughputResult> ClosedLoopAsync(int concurrency, TimeSpan duration, bool sideTraffic = true)
    {
        var latency = new Latency();
        long count = 0;
        using var stop = new CancellationTokenSource(duration);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var rng = new Random(HashCode.Combine(options.Seed, concurrency, w));
            while (!stop.IsCancellationRequested)
            {
                var plan = workload.Next(rng);
                var (stamp, at) = ledger.NextStamp();
                var t0 = Stopwatch.GetTimestamp();
                var result = await Kr(plan.KeyResult.Id).CheckInAsync(new CheckIn($"b{stamp}", plan.Value, plan.Confidence, "", "bench", at));
                latency.Record(Stopwatch.GetElapsedTime(t0));
                if (result.Applied) ledger.CheckInAcknowledged(plan.KeyResult.Id, stamp, plan.Value, plan.Confidence);
                Interlocked.Increment(ref count);
            }
        })).ToList();
        var side = sideTraffic ? SideTrafficAsync(stop.Token) : Task.CompletedTask;
        await Task.WhenAll(workers);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await side;
        return new ThroughputResult(concurrency, count, count / seconds, latency.Summary());
    }

    /// <summary>KPI measurements (about 20 a second) and a re-parenting every half second, beside the check-ins.</summary>
    private async Task SideTrafficAsync(CancellationToken stop)
    {
        var rng = new Random(options.Seed + 99);
        var cycle = client.GetGrain<ICycleGrain>(org.Cycle.Id);
        var tick = 0;
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(50, stop); } catch (OperationCanceledException) { break; }
            var (kpi, value) = workload.NextMeasurement(rng);
            var (stamp, at) = ledger.NextStamp();
            var r = await client.GetGrain<IKpiGrain>(kpi.Id).RecordAsync(new Measurement($"m{stamp}", value, at));
            if (r.Applied) ledger.MeasurementAcknowledged(kpi.Id, stamp, value);
            if (++tick % 10 == 0)
            {
                var (kr, objective) = workload.NextMove(rng);
                await cycle.MoveKeyResultAsync(kr.Id, objective.Id);
            }
        }
    }

    /// <summary>
    /// Open loop at a fixed rate: check-ins are sent on schedule whether or not earlier ones have returned (no
    /// coordinated omission; acknowledgement latency is measured from the scheduled time). One in ten carries a
    /// trace id; the first change-feed publication of a company objective listing it is when it reached the top.
    /// </summary>
    public async Task<PropagationResult> OpenLoopAsync(double rate, TimeSpan duration)
    {
        var roots = org.Roots.Select(r => r.Id).ToHashSet();
        var acked = new ConcurrentDictionary<string, long>();
        var reachedRoot = new ConcurrentDictionary<string, long>();
        var observer = new TraceObserver(roots, reachedRoot);
        var reference = client.CreateObjectReference<IChangeFeedObserver>(observer);
        var registry = client.GetGrain<IChangeFeedRegistryGrain>(0);
        await registry.SubscribeAsync(reference);
        await Task.Delay(1500); // the silo re-reads its observers every second

        var ackLatency = new Latency();
        long sent = 0, acknowledged = 0, errors = 0;
        var inFlight = new List<Task>();
        var rng = new Random(options.Seed + 7);
        var start = Stopwatch.GetTimestamp();
        var total = (long)(rate * duration.TotalSeconds);
        var interval = Stopwatch.Frequency / rate;
        for (long i = 0; i < total; i++)
        {
            var due = start + (long)(i * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                var wait = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (wait > 2) await Task.Delay((int)(wait - 1)); else Thread.SpinWait(50);
            }
            var plan = workload.Next(rng);
            var (stamp, at) = ledger.NextStamp();
            var trace = i % 10 == 0 ? $"t{stamp}" : null;
            sent++;
            inFlight.Add(SendAsync(plan, stamp, at, trace, due));
        }
        await Task.WhenAll(inFlight);
        // The last traces reach the top (give a loaded machine up to ten seconds).
        for (var waited = 0; waited < 100 && acked.Keys.Any(t => !reachedRoot.ContainsKey(t)); waited++) await Task.Delay(100);

        await registry.UnsubscribeAsync(reference);
        GC.KeepAlive(observer); // the client holds observers weakly: keep ours alive until unsubscribed
        var toRoot = new Latency();
        long lost = 0;
        foreach (var (trace, ackAt) in acked)
        {
            if (reachedRoot.TryGetValue(trace, out var rootAt)) toRoot.Record(Stopwatch.GetElapsedTime(ackAt, Math.Max(ackAt, rootAt)));
            else lost++;
        }
        return new PropagationResult(rate, sent, acknowledged, errors, ackLatency.Summary(), toRoot.Summary(), lost);

        async Task SendAsync(PlannedCheckIn plan, long stamp, DateTimeOffset at, string? trace, long scheduled)
        {
            try
            {
                var r = await Kr(plan.KeyResult.Id).CheckInAsync(new CheckIn($"b{stamp}", plan.Value, plan.Confidence, "", "bench", at, trace));
                var now = Stopwatch.GetTimestamp();
                ackLatency.Record(Stopwatch.GetElapsedTime(scheduled, now));
                if (trace is not null) acked[trace] = now;
                if (r.Applied) ledger.CheckInAcknowledged(plan.KeyResult.Id, stamp, plan.Value, plan.Confidence);
                Interlocked.Increment(ref acknowledged);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }

    /// <summary>Notes when a traced check-in first shows up in a company objective's publication.</summary>
    private sealed class TraceObserver(HashSet<string> roots, ConcurrentDictionary<string, long> reachedRoot) : IChangeFeedObserver
    {
        public Task OnChangesAsync(ImmutableArray<NodeChange> changes)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var c in changes)
                if (c.Score?.Traces is { } traces && roots.Contains(c.NodeId))
                    foreach (var t in traces) reachedRoot.TryAdd(t, now);
            return Task.CompletedTask;
        }
    }
}
