using OkrGrid.Workload.Peer;

namespace OkrGrid.Bench;

public sealed record PeerResult(int Connections, long CheckIns, double PerSecond, LatencySummary Latency, int Differences);

public sealed record LimitResult(long CheckIns, double PerSecond, int Differences);

/// <summary>
/// Figures 3 and 4: the same job done as a typical CRUD tool does it (one SQL transaction per check-in that
/// recomputes every ancestor), and the in-memory limit (one thread, the same rules, no I/O).
/// </summary>
public static class BaselineFigures
{
    public static async Task<PeerResult> PeerAsync(string connectionString, SyntheticOrg org, CheckInWorkload workload, BenchOptions options, DateTimeOffset now)
    {
        await using var peer = await SqlPeer.CreateAsync(connectionString, org);
        var ledger = new Ledger(BaseTime(org, now));
        var latency = new Latency();
        long count = 0;
        await RunAsync(options.Warmup, record: false);
        var started = Stopwatch.GetTimestamp();
        await RunAsync(options.Duration, record: true);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        // Correct, not just fast: the peer's progress equals the reference of what it acknowledged.
        var elapsed = Rules.ExpectedProgress(org.Cycle.Start, org.Cycle.End, now);
        var reference = GraphScorer.Score(org.Objectives, org.KeyResults, org.Edges, ledger.InputOf, elapsed, ScoringPolicy.Default);
        var progress = await peer.ReadProgressAsync();
        var differences = reference.Count(r => Math.Abs(progress[r.Key] - r.Value.Progress) > 1e-9);
        return new PeerResult(options.PeerConnections, count, count / seconds, latency.Summary(), differences);

        async Task RunAsync(TimeSpan duration, bool record)
        {
            using var stop = new CancellationTokenSource(duration);
            await Task.WhenAll(Enumerable.Range(0, options.PeerConnections).Select(w => Task.Run(async () =>
            {
                var rng = new Random(HashCode.Combine(options.Seed, "peer", w, record));
                while (!stop.IsCancellationRequested)
                {
                    var plan = workload.Next(rng);
                    var (stamp, at) = ledger.NextStamp();
                    var t0 = Stopwatch.GetTimestamp();
                    await peer.CheckInAsync(plan.KeyResult.Id, plan.Value, plan.Confidence, at);
                    ledger.CheckInAcknowledged(plan.KeyResult.Id, stamp, plan.Value, plan.Confidence);
                    if (!record) continue;
                    latency.Record(Stopwatch.GetElapsedTime(t0));
                    Interlocked.Increment(ref count);
                }
            })));
        }
    }

    public static LimitResult Limit(SyntheticOrg org, CheckInWorkload workload, BenchOptions options, DateTimeOffset now)
    {
        var elapsed = Rules.ExpectedProgress(org.Cycle.Start, org.Cycle.End, now);
        var limit = new InMemoryLimit(org, elapsed, ScoringPolicy.Default);
        var ledger = new Ledger(BaseTime(org, now));
        // Planned up front so that only the applying is timed.
        var rng = new Random(options.Seed + 3);
        var planned = Enumerable.Range(0, options.Quick ? 200_000 : 2_000_000).Select(_ => workload.Next(rng))
            .Select(p => (Index: limit.IndexOf(p.KeyResult.Id), p.KeyResult.Id, p.Value, p.Confidence)).ToArray();
        var started = Stopwatch.GetTimestamp();
        for (long i = 0; i < planned.Length; i++) limit.CheckIn(planned[i].Index, planned[i].Value, i);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        for (long i = 0; i < planned.Length; i++)
            ledger.CheckInAcknowledged(planned[i].Id, i, planned[i].Value, planned[i].Confidence);
        var reference = GraphScorer.Score(org.Objectives, org.KeyResults, org.Edges, ledger.InputOf, elapsed, ScoringPolicy.Default);
        var differences = reference.Count(r => Math.Abs(limit.ProgressOf(r.Key) - r.Value.Progress) > 1e-9);
        return new LimitResult(planned.Length, planned.Length / seconds, differences);
    }

    /// <summary>Check-in times count up from here: inside the cycle and not in the future.</summary>
    public static DateTimeOffset BaseTime(SyntheticOrg org, DateTimeOffset now) =>
        new[] { org.Cycle.Start.AddMinutes(1), now.AddDays(-1) }.Max();
}
