using System.Runtime;
using OkrGrid.Validation;

namespace OkrGrid.Bench;

public sealed record MemoryResult(int Nodes, long ManagedBytes, long WorkingSetBytes, double ManagedBytesPerNode, double WorkingSetBytesPerNode);

/// <param name="Imported">After the import: the cycle's structure alone (no node active yet).</param>
/// <param name="Active">After every node is activated as well (as figure 5 measures it on the large organisation).</param>
public sealed record ImportMemoryResult(int Nodes, double ImportSeconds, MemoryResult Imported, MemoryResult Active)
{
    /// <summary>About 5 KB a node with every node active (working set).</summary>
    public const double TargetBytesPerNode = 5_000;

    public static ImportMemoryResult Of(int nodes, double importSeconds, (long Managed, long WorkingSet) before,
        (long Managed, long WorkingSet) imported, (long Managed, long WorkingSet) active) =>
        new(nodes, importSeconds, Delta(nodes, before, imported), Delta(nodes, before, active));

    private static MemoryResult Delta(int nodes, (long Managed, long WorkingSet) before, (long Managed, long WorkingSet) after)
    {
        long managed = after.Managed - before.Managed, workingSet = after.WorkingSet - before.WorkingSet;
        return new MemoryResult(nodes, managed, workingSet, (double)managed / nodes, (double)workingSet / nodes);
    }
}

public sealed record SnapshotResult(int Nodes, double MedianMs, double MaxMs);

public sealed record ColdStartResult(int Nodes, double StartToSnapshotSeconds, double RecoverySeconds, long AcknowledgedBeforeKill,
    long LostAcknowledged, int DifferencesAfterRecovery);

/// <summary>
/// Figures 5–7 on the large organisation: memory with every node active, the cycle snapshot, and cold start and
/// recovery after kill -9 of a real process (a <see cref="ServeMode"/> child) under a stream of check-ins.
/// </summary>
public static class LargeOrgFigures
{
    private const int InFlight = 256;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Median and max of <paramref name="runs"/> timed snapshots after one warm-up; every node must be in each.</summary>
    public static async Task<SnapshotResult> SnapshotAsync(IClusterClient client, string cycleId, int nodes, int runs = 7)
    {
        var cycle = client.GetGrain<ICycleGrain>(cycleId);
        RequireScores(await cycle.GetSnapshotAsync(), nodes);
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var s = await cycle.GetSnapshotAsync();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            RequireScores(s, nodes);
        }
        Array.Sort(times);
        var median = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
        return new SnapshotResult(nodes, median, times[^1]);
    }

    private static void RequireScores(CycleSnapshot s, int nodes)
    {
        if (s.Scores.Count != nodes) throw new InvalidOperationException($"The snapshot scored {s.Scores.Count:N0} of {nodes:N0} nodes.");
    }

    /// <summary>
    /// Managed heap and working set of this process before the import and after every node is active (a snapshot
    /// activates them all), as deltas: the silo's fixed cost and the generated organisation are not counted.
    /// </summary>
    public static async Task<(MemoryResult Memory, SnapshotResult Snapshot)> MemoryAndSnapshotAsync(string connectionString, SyntheticOrg org, TimeProvider clock)
    {
        await using var engine = await EngineHost.StartAsync(connectionString, clock);
        var before = MeasureMemory();
        await EnsureImportedAsync(engine.Client, org);
        await ActivateAllAsync(engine.Client, org);
        var after = MeasureMemory();
        var snapshot = await SnapshotAsync(engine.Client, org.Cycle.Id, org.NodeCount);
        long managed = after.Managed - before.Managed, workingSet = after.WorkingSet - before.WorkingSet;
        return (new MemoryResult(org.NodeCount, managed, workingSet, (double)managed / org.NodeCount, (double)workingSet / org.NodeCount), snapshot);
    }

    /// <summary>Every node activated by a call of its own (a snapshot scores inactive nodes without waking them).</summary>
    private static Task ActivateAllAsync(IClusterClient client, SyntheticOrg org) => EngineImport.ActivateAllAsync(client, org);

    /// <summary>Managed heap after full compacting collections, and the process's working set.</summary>
    public static (long Managed, long WorkingSet) MeasureMemory()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        return (managed, self.WorkingSet64);
    }

    /// <summary>Imports the organisation unless its cycle is already in the database.</summary>
    public static async Task EnsureImportedAsync(IGrainFactory grains, SyntheticOrg org)
    {
        try
        {
            await grains.GetGrain<ICycleGrain>(org.Cycle.Id).GetInfoAsync();
            return;
        }
        catch (OkrRejectedException) { } // no such cycle yet
        await EngineImport.ImportAsync(grains, org);
    }

    /// <summary>
    /// Cold start: process start → a snapshot with every node scored, from a database that already holds the
    /// organisation. Recovery: check-ins with <see cref="InFlight"/> in flight, kill -9 in the middle of the stream,
    /// restart → the first snapshot equal to the reference computed from the journal the killed process left.
    /// </summary>
    public static async Task<ColdStartResult> ColdStartAndRecoveryAsync(string connectionString, SyntheticOrg org, BenchOptions options)
    {
        // The children's fixed clock: any instant in the cycle will do, as long as the reference uses the same.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        now = now < org.Cycle.Start ? org.Cycle.Start : now > org.Cycle.End ? org.Cycle.End : now;

        // The timed start must find the organisation already there: import through a first child if needed.
        await using (var loader = ServeProcess.Start(connectionString, now))
        {
            await loader.ConnectAsync(StartTimeout);
            await EnsureImportedAsync(loader.Client, org);
        }

        var ledger = new Ledger(BaselineFigures.BaseTime(org, now));
        var acknowledged = new ConcurrentQueue<(string KeyResult, long Stamp, double Value)>();
        CycleSnapshot structure;
        double coldSeconds;
        var started = Stopwatch.GetTimestamp();
        await using (var child = ServeProcess.Start(connectionString, now))
        {
            await child.ConnectAsync(StartTimeout);
            var (first, missing) = await PollSnapshotAsync(child.Client, org.Cycle.Id, s => MissingNodes(s, org));
            coldSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (missing.Count > 0 || first is null)
                throw new InvalidOperationException($"Cold start: no complete snapshot within {LoadTimeout}: {string.Join("; ", missing.Take(5))}\n{child.Tail}");
            structure = first; // nothing below changes the structure, so the recovered one must equal it
            await StreamAndKillAsync(child, org, options, ledger, acknowledged);
        }

        // The reference is what is durable: the journal as the killed process left it (read before the restart,
        // so that the recovery time is the engine's alone).
        var journal = await JournalFacts.ReadAsync(connectionString);
        var lost = acknowledged.LongCount(a => journal.ValueOf(a.KeyResult, $"b{a.Stamp}") != a.Value);
        var reference = journal.Reference(structure, now);

        var restarted = Stopwatch.GetTimestamp();
        await using var again = ServeProcess.Start(connectionString, now);
        await again.ConnectAsync(StartTimeout);
        var (_, differences) = await PollSnapshotAsync(again.Client, org.Cycle.Id, s => Differences(s, structure, reference));
        var recoverySeconds = Stopwatch.GetElapsedTime(restarted).TotalSeconds;
        foreach (var d in differences.Take(10)) Console.Error.WriteLine($"Recovery: {d}");
        return new ColdStartResult(org.NodeCount, coldSeconds, recoverySeconds, ledger.Acknowledged, lost, differences.Count);
    }

    /// <summary>Check-ins from <see cref="InFlight"/> workers; the child is killed while they are still sending.</summary>
    private static async Task StreamAndKillAsync(ServeProcess child, SyntheticOrg org, BenchOptions options, Ledger ledger,
        ConcurrentQueue<(string KeyResult, long Stamp, double Value)> acknowledged)
    {
        var workload = new CheckInWorkload(org, options.Skewed, options.Seed);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, InFlight).Select(w => Task.Run(async () =>
        {
            var rng = new Random(options.Seed * 1_000 + w);
            while (!stop.IsCancellationRequested)
            {
                var plan = workload.Next(rng);
                var (stamp, at) = ledger.NextStamp();
                try
                {
                    var r = await child.Client.GetGrain<IKeyResultGrain>(plan.KeyResult.Id)
                        .CheckInAsync(new CheckIn($"b{stamp}", plan.Value, plan.Confidence, "", "bench", at));
                    if (!r.Applied) continue;
                    ledger.CheckInAcknowledged(plan.KeyResult.Id, stamp, plan.Value, plan.Confidence);
                    acknowledged.Enqueue((plan.KeyResult.Id, stamp, plan.Value));
                }
                catch (Exception)
                {
                    // Not acknowledged, so owed nothing: the reference counts only what the journal holds.
                    if (stop.IsCancellationRequested) return; // the process is gone
                }
            }
        })).ToList();
        await Task.Delay(options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(3));
        child.Kill();
        stop.Cancel();
        // Only a response the process sent before it died can still arrive, and that takes the client
        // milliseconds. The other calls in flight get no answer until the client's response timeout: they were
        // never acknowledged, so they are left to fail on their own.
        await Task.WhenAny(Task.WhenAll(workers), Task.Delay(TimeSpan.FromSeconds(2)));
    }

    /// <summary>Takes snapshots every 100 ms until <paramref name="problems"/> finds none or the time is up.</summary>
    private static async Task<(CycleSnapshot? Last, List<string> Problems)> PollSnapshotAsync(
        IClusterClient client, string cycleId, Func<CycleSnapshot, List<string>> problems)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(LoadTimeout.TotalSeconds * Stopwatch.Frequency);
        CycleSnapshot? last = null;
        List<string> found = ["no snapshot yet"];
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                last = await client.GetGrain<ICycleGrain>(cycleId).GetSnapshotAsync();
                found = problems(last);
                if (found.Count == 0) break;
            }
            catch (Exception e) when (e is not OkrRejectedException)
            {
                // A node whose activation failed (e.g. a storage timeout) fails the whole snapshot; the next one retries it.
                found = [$"snapshot failed: {e.GetType().Name}: {e.Message}"];
                Console.Error.WriteLine($"Snapshot failed, retrying: {found[0]}");
            }
            await Task.Delay(100);
        }
        return (last, found);
    }

    private static List<string> MissingNodes(CycleSnapshot s, SyntheticOrg org) =>
        org.Objectives.Select(o => o.Id).Concat(org.KeyResults.Select(k => k.Id))
            .Where(id => !s.Scores.ContainsKey(id)).Select(id => $"{id}: no score").ToList();

    /// <summary>As <see cref="ReferenceCheck.Differences"/>, plus the structure itself.</summary>
    public static List<string> Differences(CycleSnapshot s, CycleSnapshot structure, Dictionary<string, NodeScore> reference)
    {
        var diffs = new List<string>();
        if (!s.Objectives.ToHashSet().SetEquals(structure.Objectives)) diffs.Add("structure: the objectives differ");
        if (!s.KeyResults.ToHashSet().SetEquals(structure.KeyResults)) diffs.Add("structure: the key results differ");
        if (!s.Edges.ToHashSet().SetEquals(structure.Edges)) diffs.Add("structure: the edges differ");
        if (s.Cycle != structure.Cycle || s.Policy != structure.Policy) diffs.Add("structure: the cycle or its policy differs");
        if (s.Scores.Count != reference.Count) diffs.Add($"{s.Scores.Count:N0} scores for {reference.Count:N0} nodes");
        diffs.AddRange(ReferenceCheck.Differences(s, reference));
        return diffs;
    }
}
