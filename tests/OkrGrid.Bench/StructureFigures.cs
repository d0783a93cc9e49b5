using Npgsql;
using OkrGrid.Engine.Journal;

namespace OkrGrid.Bench;

/// <param name="Path">"memory": an instant after the latest snapshot (the live structure with the later changes, all in
/// memory, taken back); "database": an instant before it (the later changes before the snapshot read from the log, or the
/// nearest snapshot before the instant and the log up to it, read from PostgreSQL — <paramref name="Source"/> says which).</param>
/// <param name="ChangesAfter">Structural changes committed after the instant (what the memory path takes back).</param>
/// <param name="Source">Where the structure of the instant came from, as the log and snapshots in the database say.</param>
/// <param name="JournalQuery">The engine's own query for every key result's latest facts dated by the instant
/// (<see cref="IJournal.LatestAsync"/>, the call the time travel makes, with the same nodes) timed alone, right after.</param>
public sealed record TimeTravelFigure(string Path, DateTimeOffset At, int Nodes, long ChangesAfter, string Source, LatencySummary Latency,
    LatencySummary JournalQuery, long JournalEntries, double AllocatedMbPerRun = 0, double GcPauseMsPerRun = 0);

/// <summary>Durable check-ins/s in alternating runs: alone, then with a planning burst on the same cycle.</summary>
/// <param name="AloneCores">Cores this process (silo and clients; PostgreSQL apart) kept busy in each run alone; <paramref name="WithBurstCores"/> beside a burst.</param>
public sealed record CheckInsBesideBurst(int Concurrency, ImmutableArray<ThroughputResult> Alone, ImmutableArray<ThroughputResult> WithBurst,
    ImmutableArray<BurstResult> Bursts, ImmutableArray<double> AloneCores, ImmutableArray<double> WithBurstCores)
{
    public double AlonePerSecond => Alone.Average(t => t.PerSecond);
    public double WithBurstPerSecond => WithBurst.Average(t => t.PerSecond);
    public double BurstPerSecond => Bursts.Average(b => b.PerSecond);
    public double Ratio => WithBurstPerSecond / AlonePerSecond;
}

/// <param name="Nodes">The bench organisation's nodes before these figures (the burst adds some).</param>
/// <param name="LogChanges">Structural changes in the cycle's log at the end, and how many snapshots it took meanwhile.</param>
/// <param name="Failures">A structure different from the model, a node acknowledged but missing, a loop, scores different from the reference.</param>
public sealed record StructureResult(int Nodes, ChangeLatency OneChange, BurstResult Burst, CheckInsBesideBurst CheckIns,
    ImmutableArray<TimeTravelFigure> TimeTravel, long LogChanges, long Snapshots, ImmutableArray<string> Failures)
{
    public const double OneChangeP50TargetMs = 10, OneChangeP99TargetMs = 50, BurstTargetPerSecond = 1_000, TimeTravelTargetMs = 500;
    public const int BurstClients = 256;

    public bool Passed => Failures.IsEmpty;
}

/// <summary>
/// Figure 11: the cycle's structure as an append-only log, on the bench organisation after the check-in figures. One
/// structural change at a time (the structure then equal to the bench's own model, the scores to the reference); a
/// planning burst of <see cref="StructureResult.BurstClients"/> clients (every acknowledged new node there afterwards,
/// no loop, scores exact); durable check-ins/s alone and beside such a burst (verified as figure 1); time travel to an
/// instant after the latest snapshot and to one before it, each equal to the structure recorded at that instant and
/// to the pure reference over it with the journal's facts dated by then.
/// </summary>
/// <remarks>
/// The engine's clock stands still until the time travel: statuses are then those of one instant and the check-ins
/// verify exactly. The time travel moves it on a second at a time, so that its changes take effect at distinct
/// instants; nothing verifies live scores after that.
/// </remarks>
public static class StructureFigures
{
    private static readonly TimeSpan FillTimeout = TimeSpan.FromMinutes(5);
    /// <summary>Timed runs per instant and route: enough that p99 is not just the slowest of a handful (a GC can land in any run).</summary>
    private const int TimeTravelRuns = 20;

    public static async Task<StructureResult> RunAsync(IClusterClient client, IJournal journal, string connectionString, SteppedClock clock,
        SyntheticOrg org, EngineFigures checkIns, Ledger ledger, DateTimeOffset now, BenchOptions options, Action<string> say)
    {
        var cycleId = org.Cycle.Id;
        var cycle = client.GetGrain<ICycleGrain>(cycleId);
        var failures = new List<string>();
        var rng = new Random(options.Seed + 11);
        void Require(string what, IReadOnlyCollection<string> problems)
        {
            if (problems.Count == 0) return;
            failures.Add($"{what}: {problems.Count:N0} problem(s)");
            failures.AddRange(problems.Take(12).Select(p => $"{what}: {p}"));
        }

        // ---- one change at a time --------------------------------------------------------------------------
        var start = await Verification.WaitQuietAsync(client, cycleId);
        var model = StructureModel.Of(start);
        var oneChange = await model.SequentialAsync(cycle, options.Quick ? 40 : 400, options.Quick ? 4 : 20, rng);
        say($"Structure: one change at a time, {model.NodeCount:N0} nodes: {oneChange}.");
        var settled = await Verification.WaitQuietAsync(client, cycleId);
        Require("one change at a time, structure", model.Differences(settled));
        Require("one change at a time, scores", await ScoreProblemsAsync(client, settled, ledger, now));

        // ---- a planning burst ------------------------------------------------------------------------------
        var burst = PlanningBurst.Of(settled);
        BurstResult burstResult;
        using (var stop = new CancellationTokenSource(options.Duration))
            burstResult = await burst.RunAsync(client, cycleId, StructureResult.BurstClients, BurstMix.Planning, options.Seed + 12, stop.Token);
        settled = await Verification.WaitQuietAsync(client, cycleId);
        burstResult = burstResult with { NodesAfter = settled.Objectives.Length + settled.KeyResults.Length };
        say($"Structure: planning burst, {burstResult.Clients} clients: {burstResult.PerSecond:N0} changes/s acknowledged " +
            $"({burstResult.Acknowledged:N0}; {burstResult.Refused:N0} refused, {burstResult.Errors} errors; ack {burstResult.Acknowledgement}; " +
            $"{burstResult.Cores:F2} cores, {burstResult.MicrosecondsPerChange:N0} µs a change).");
        Require("planning burst", StructureModel.Problems(settled, burst.Created));
        Require("planning burst, scores", await ScoreProblemsAsync(client, settled, ledger, now));
        if (burstResult.Errors > 0) failures.Add($"planning burst: {burstResult.Errors} call(s) failed without a reason");

        // ---- durable check-ins alone and beside a burst ----------------------------------------------------
        var concurrency = options.Concurrency.Max();
        var alone = ImmutableArray.CreateBuilder<ThroughputResult>();
        var beside = ImmutableArray.CreateBuilder<ThroughputResult>();
        var bursts = ImmutableArray.CreateBuilder<BurstResult>();
        var aloneCores = ImmutableArray.CreateBuilder<double>();
        var besideCores = ImmutableArray.CreateBuilder<double>();
        for (int round = 0; round < (options.Quick ? 1 : 2); round++)
        {
            var cpu = CpuUse.MeasureSelf();
            alone.Add(await checkIns.ClosedLoopAsync(concurrency, options.Duration));
            aloneCores.Add(cpu());
            using var stop = new CancellationTokenSource();
            var running = burst.RunAsync(client, cycleId, StructureResult.BurstClients, BurstMix.Planning, options.Seed + 13 + round, stop.Token);
            cpu = CpuUse.MeasureSelf();
            beside.Add(await checkIns.ClosedLoopAsync(concurrency, options.Duration));
            besideCores.Add(cpu());
            stop.Cancel();
            bursts.Add(await running);
            say($"Structure: check-ins, {concurrency} in flight: alone {alone[^1].PerSecond:N0}/s ({aloneCores[^1]:F2} cores), beside a planning burst " +
                $"{beside[^1].PerSecond:N0}/s ({besideCores[^1]:F2} cores; the burst {bursts[^1].PerSecond:N0} changes/s).");
        }
        var checkInFigure = new CheckInsBesideBurst(concurrency, alone.ToImmutable(), beside.ToImmutable(), bursts.ToImmutable(),
            aloneCores.ToImmutable(), besideCores.ToImmutable());
        settled = await Verification.WaitQuietAsync(client, cycleId);
        Require("check-ins beside a burst, structure", StructureModel.Problems(settled, burst.Created));
        Require("check-ins beside a burst, scores", await ScoreProblemsAsync(client, settled, ledger, now));
        var errors = bursts.Sum(b => b.Errors);
        if (errors > 0) failures.Add($"check-ins beside a burst: {errors} structural call(s) failed without a reason");

        // ---- time travel -------------------------------------------------------------------------------------
        var timeTravel = await TimeTravelAsync(client, journal, connectionString, clock, cycleId, burst, now, options, say, failures);
        var (logChanges, snapshots) = await LogSizeAsync(connectionString, cycleId);
        return new StructureResult(org.NodeCount, oneChange, burstResult, checkInFigure, timeTravel, logChanges, snapshots, [.. failures]);
    }

    /// <summary>
    /// The nodes whose live score differs from the reference once quiet. Each is checked again after a further wait (a
    /// difference that goes away was a slow settle, and is reported as such); for one that stays, what its objective
    /// holds is compared with the cycle: the children of its setup and the child scores it cached.
    /// </summary>
    private static async Task<List<string>> ScoreProblemsAsync(IClusterClient client, CycleSnapshot settled, Ledger ledger, DateTimeOffset now)
    {
        var first = Verification.Differences(settled, ledger, now);
        if (first.Count == 0) return [];
        await Task.Delay(TimeSpan.FromSeconds(5));
        var again = await Verification.WaitQuietAsync(client, settled.Cycle.Definition.Id);
        var elapsed = Rules.ExpectedProgress(again.Cycle.Definition.Start, again.Cycle.Definition.End, now);
        var reference = GraphScorer.Score(again.Objectives, again.KeyResults, again.Edges, ledger.InputOf, elapsed, again.Policy);
        var stuck = reference.Where(r => !again.Scores.TryGetValue(r.Key, out var s) || !ReferenceCheck.Same(s, r.Value)).Select(r => r.Key).ToList();
        var problems = new List<string> { $"{first.Count} node(s) differed once quiet; {stuck.Count} still differ 5 s later" };
        problems.AddRange(first.Take(3));
        var edges = again.Edges.ToLookup(e => e.ParentId);
        var objectives = again.Objectives.Select(o => o.Id).ToHashSet();
        foreach (var id in stuck.Where(objectives.Contains).Take(3))
        {
            var view = await client.GetGrain<IObjectiveGrain>(id).GetViewAsync();
            var held = view.Children.Select(c => $"{c.Link.Id}:{c.Link.Weight}").Order().ToList();
            var cycleHas = edges[id].Select(e => $"{e.ChildId}:{e.Weight}").Order().ToList();
            problems.Add(held.SequenceEqual(cycleHas)
                ? $"{id}: its setup's children are the cycle's ({held.Count})"
                : $"{id}: its setup lists [{string.Join(", ", held.Take(8))}], the cycle has [{string.Join(", ", cycleHas.Take(8))}]");
            foreach (var c in view.Children)
                if (c.Score is { } cached && again.Scores.TryGetValue(c.Link.Id, out var live) && !ReferenceCheck.Same(cached, live))
                    problems.Add($"{id}: holds {c.Link.Id} at {ReferenceCheck.Describe(cached)} v{cached.Version}, the child is at {ReferenceCheck.Describe(live)} v{live.Version}");
                else if (c.Score is null) problems.Add($"{id}: holds no score for its child {c.Link.Id}");
        }
        return problems;
    }

    /// <summary>
    /// Records the structure at instant A, makes moves until a snapshot is taken after A, records the structure at
    /// instant B (after that snapshot), makes a few more changes, then times GetSnapshotAtAsync at B (memory) and A
    /// (database), each run verified.
    /// </summary>
    private static async Task<ImmutableArray<TimeTravelFigure>> TimeTravelAsync(IClusterClient client, IJournal journal, string connectionString, SteppedClock clock,
        string cycleId, PlanningBurst burst, DateTimeOffset now, BenchOptions options, Action<string> say, List<string> failures)
    {
        var cycle = client.GetGrain<ICycleGrain>(cycleId);
        clock.Set(now.AddSeconds(1));
        var atDatabase = clock.UtcNow;
        var structureAtDatabase = await cycle.GetSnapshotAsync(); // nothing in flight: the structure at that instant

        // Moves (the cycle does not grow) until the cycle has written a snapshot after that instant.
        clock.Set(now.AddSeconds(2));
        var fillStarted = Stopwatch.GetTimestamp();
        BurstResult fill;
        bool snapshotAfter;
        using (var stop = new CancellationTokenSource())
        {
            var running = burst.RunAsync(client, cycleId, StructureResult.BurstClients, BurstMix.MovesOnly, options.Seed + 17, stop.Token);
            while (!(snapshotAfter = await LatestSnapshotAsync(connectionString, cycleId) is { } s && s.At > atDatabase)
                   && Stopwatch.GetElapsedTime(fillStarted) < FillTimeout)
                await Task.Delay(250);
            stop.Cancel();
            fill = await running;
        }
        if (!snapshotAfter) failures.Add($"time travel: no snapshot written within {FillTimeout.TotalMinutes:F0} min of moves ({fill.Acknowledged:N0} acknowledged)");
        if (fill.Errors > 0) failures.Add($"time travel: {fill.Errors} move(s) failed without a reason");
        say($"Structure: {fill.Acknowledged:N0} moves in {fill.Seconds:F0} s until the cycle wrote a snapshot; timing time travel.");

        clock.Set(now.AddSeconds(3));
        var atMemory = clock.UtcNow;
        var structureAtMemory = await cycle.GetSnapshotAsync();
        // A few changes after it, so the memory path has changes to take back; the model checks them too.
        clock.Set(now.AddSeconds(4));
        var model = StructureModel.Of(structureAtMemory);
        await model.SequentialAsync(cycle, options.Quick ? 20 : 100, 0, new Random(options.Seed + 19));
        var live = await cycle.GetSnapshotAsync();
        var liveDiffs = model.Differences(live);
        if (liveDiffs.Count > 0) failures.AddRange(liveDiffs.Take(5).Select(d => $"time travel, the changes after the instant: {d}"));

        var latest = await LatestSnapshotAsync(connectionString, cycleId);
        if (latest is { } l && l.At > atMemory) failures.Add($"time travel: a snapshot was written after the 'memory' instant (at {l.At:O}); it is not the memory path");
        var facts = await JournalFacts.ReadAsync(connectionString);
        var figures = ImmutableArray.CreateBuilder<TimeTravelFigure>();
        var nodes = structureAtMemory.Objectives.Length + structureAtMemory.KeyResults.Length;
        // First with every key result active (their check-ins in memory), then with the silo's idle activations
        // collected (the key results' facts come from the journal, as for a cycle nobody has looked at lately).
        foreach (var asleep in new[] { false, true })
        {
            var awake = -1;
            if (asleep)
            {
                var management = client.GetGrain<IManagementGrain>(0);
                await management.ForceActivationCollection(TimeSpan.Zero);
                awake = (await management.GetSimpleGrainStatistics()).Where(g => g.GrainType.Contains("KeyResultGrain")).Sum(g => g.ActivationCount);
            }
            foreach (var (path, at, structure) in new[] { ("memory", atMemory, structureAtMemory), ("database", atDatabase, structureAtDatabase) })
            {
                var reference = facts.Reference(structure, at, at);
                var latency = new Latency();
                // What the timed calls allocate in this process (the silo's and the client's sides) and how long the GC
                // paused it meanwhile: where a slow run's time goes when it is not the work itself.
                long allocated = 0;
                var paused = TimeSpan.Zero;
                var scansBefore = (journal as OkrGrid.Engine.Journal.PostgresJournal)?.CycleScans ?? 0;
                for (int i = -1; i < (options.Quick ? 2 : TimeTravelRuns); i++)
                {
                    var allocatedBefore = GC.GetTotalAllocatedBytes();
                    var pausedBefore = GC.GetTotalPauseDuration();
                    var t0 = Stopwatch.GetTimestamp();
                    var past = await cycle.GetSnapshotAtAsync(at);
                    if (i >= 0)
                    {
                        latency.Record(Stopwatch.GetElapsedTime(t0));
                        allocated += GC.GetTotalAllocatedBytes() - allocatedBefore;
                        paused += GC.GetTotalPauseDuration() - pausedBefore;
                    }
                    var diffs = LargeOrgFigures.Differences(past, structure, reference);
                    if (diffs.Count > 0)
                    {
                        failures.Add($"time travel ({path}, run {i + 2}): {diffs.Count:N0} difference(s) from the structure recorded then and the reference");
                        failures.AddRange(diffs.Take(5).Select(d => $"time travel ({path}): {d}"));
                    }
                }
                var scans = ((journal as OkrGrid.Engine.Journal.PostgresJournal)?.CycleScans ?? 0) - scansBefore;
                // Where the time goes: the journal's read alone, as the engine makes it when no key result is active here
                // (one scan of the cycle's ids, or a probe per node, as the journal's statistics say).
                var sources = structure.KeyResults.Select(k => k.KpiId ?? k.Id).Distinct().ToList();
                var query = new Latency();
                for (int i = 0; i < 2; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    await journal.LatestAsync(sources, at, cycleId);
                    query.Record(Stopwatch.GetElapsedTime(t0));
                }
                var source = await SourceAsync(connectionString, cycleId, at, nodes);
                var factsFrom = asleep
                    ? $"key results asleep ({awake:N0} active left): their facts from the journal ({(scans > 0 ? $"one scan of the cycle's ids in {scans} of the runs" : "a probe per node")})"
                    : "every key result active: their facts in memory";
                figures.Add(new TimeTravelFigure(path, at, structure.Objectives.Length + structure.KeyResults.Length,
                    await CountChangesAsync(connectionString, cycleId, "at > @at", at), $"{source}; {factsFrom}", latency.Summary(), query.Summary(), facts.Entries,
                    allocated / 1048576.0 / latency.Count, paused.TotalMilliseconds / latency.Count));
                say($"Structure: snapshot as of a past instant ({path}; {source}; {factsFrom}): {latency.Summary()}; the journal query alone " +
                    $"p50 {query.Summary().P50Ms:F0} ms ({sources.Count:N0} nodes, {facts.Entries:N0} journal entries); " +
                    $"{allocated / 1048576.0 / latency.Count:F0} MB allocated and {paused.TotalMilliseconds / latency.Count:F0} ms of GC pauses a run.");
            }
        }
        return figures.ToImmutable();
    }

    /// <summary>What the engine reads for an instant, by the rule it follows (see CycleGrain.TimeTravel).</summary>
    private static async Task<string> SourceAsync(string connectionString, string cycleId, DateTimeOffset at, int nodes)
    {
        var later = await CountChangesAsync(connectionString, cycleId, "at > @at", at);
        var latest = await LatestSnapshotAsync(connectionString, cycleId);
        if (latest is null || latest.Value.At <= at)
            return $"the live structure, {later:N0} later changes taken back (all in memory)";
        var fromLog = await CountChangesAsync(connectionString, cycleId, $"at > @at and seq <= {latest.Value.Seq}", at);
        if (fromLog <= Math.Max(new EngineOptions().SnapshotEvery, nodes / 4))
            return $"the live structure, {later:N0} later changes taken back ({fromLog:N0} of them read from the log)";
        var snapshot = await SnapshotAtOrBeforeAsync(connectionString, cycleId, at);
        var replayed = await CountChangesAsync(connectionString, cycleId, $"seq > {snapshot?.Seq ?? 0} and at <= @at", at);
        return snapshot is { } s
            ? $"the snapshot of change {s.Seq:N0} and {replayed:N0} log rows after it"
            : $"no snapshot before it: the whole log, {replayed:N0} rows";
    }

    private static async Task<(long Seq, DateTimeOffset At)?> LatestSnapshotAsync(string connectionString, string cycleId) =>
        await SnapshotAtOrBeforeAsync(connectionString, cycleId, null);

    private static async Task<(long Seq, DateTimeOffset At)?> SnapshotAtOrBeforeAsync(string connectionString, string cycleId, DateTimeOffset? at)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select seq, at from okr_structure_snapshot where cycle_id = @cycle and (@at::timestamptz is null or at <= @at) order by seq desc limit 1", conn);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        cmd.Parameters.Add(new NpgsqlParameter("at", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)at?.UtcDateTime ?? DBNull.Value });
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        return (reader.GetInt64(0), new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero));
    }

    private static async Task<long> CountChangesAsync(string connectionString, string cycleId, string condition, DateTimeOffset at)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"select count(*) from okr_structure_log where cycle_id = @cycle and {condition}", conn);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        cmd.Parameters.AddWithValue("at", at.UtcDateTime);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>The cycle's log length (its last sequence number) and its number of snapshots.</summary>
    public static async Task<(long Changes, long Snapshots)> LogSizeAsync(string connectionString, string cycleId)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            select (select coalesce(max(seq), 0) from okr_structure_log where cycle_id = @cycle),
                   (select count(*) from okr_structure_snapshot where cycle_id = @cycle)
            """, conn);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
