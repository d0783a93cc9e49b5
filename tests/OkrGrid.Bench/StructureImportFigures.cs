using Npgsql;

namespace OkrGrid.Bench;

/// <param name="ImportSeconds">EngineImport.ImportAsync: the organisation, its cycle and every node and edge, in chunks of
/// <see cref="EngineImport.ChunkSize"/> nodes (a log row each).</param>
/// <param name="ManagedBytes">Managed heap after the import minus before it: the cycle's structure (no node active).</param>
/// <param name="SiloStartSeconds">After a clean stop: a new silo on the same database, started.</param>
/// <param name="ActivationSeconds">Then the cycle's first answer: its activation, loading the latest snapshot and replaying the log after it.</param>
/// <param name="Replayed">What that activation read, as the database says.</param>
/// <param name="FirstSnapshotSeconds">Then a whole snapshot (every node scored from the journal; none is active).</param>
public sealed record StructureImportResult(int Nodes, double GenerateSeconds, double ImportSeconds, long ManagedBytes, long WorkingSetBytes,
    ChangeLatency OneChange, double SiloStartSeconds, double ActivationSeconds, string Replayed, double FirstSnapshotSeconds,
    ImmutableArray<string> Failures)
{
    public double ManagedBytesPerNode => (double)ManagedBytes / Nodes;
    public double WorkingSetBytesPerNode => (double)WorkingSetBytes / Nodes;
    public bool Passed => Failures.IsEmpty;
}

/// <summary>
/// Figure 11 at scale (optional, <c>--structure-1m</c> or <c>--structure-import SIZE</c>): an organisation of that size
/// imported into a fresh database, structural changes one at a time on it (the structure then equal to the bench's
/// model: the organisation plus the changes), and after a restart the cycle's activation — its snapshot and log
/// replayed — and a first snapshot, whose structure must be the same again.
/// </summary>
public static class StructureImportFigures
{
    public static async Task<StructureImportResult> RunAsync(string connectionString, int size, CycleDefinition cycleDefinition, DateTimeOffset now,
        BenchOptions options, Action<string> say)
    {
        var started = Stopwatch.GetTimestamp();
        var org = OrgGenerator.Generate(size, options.Seed, cycleDefinition);
        var generateSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var failures = new List<string>();
        var clock = new FixedClock(now);
        var model = StructureModel.Of(org.Objectives, org.KeyResults, org.Edges);
        double importSeconds;
        long managed, workingSet;
        ChangeLatency oneChange;
        say($"Structure at scale: {org.NodeCount:N0} nodes generated in {generateSeconds:F0} s; importing.");
        await using (var engine = await EngineHost.StartAsync(connectionString, clock))
        {
            var before = LargeOrgFigures.MeasureMemory();
            var t0 = Stopwatch.GetTimestamp();
            await EngineImport.ImportAsync(engine.Client, org);
            importSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var after = LargeOrgFigures.MeasureMemory();
            (managed, workingSet) = (after.Managed - before.Managed, after.WorkingSet - before.WorkingSet);
            say($"Structure at scale: imported in {importSeconds:F1} s ({managed / (double)org.NodeCount:N0} B/node managed); one change at a time.");
            var cycle = engine.Client.GetGrain<ICycleGrain>(org.Cycle.Id);
            oneChange = await model.SequentialAsync(cycle, options.Quick ? 8 : 40, 4, new Random(options.Seed + 23));
            say($"Structure at scale: one change at a time: {oneChange}.");
            try
            {
                var live = await cycle.GetSnapshotAsync();
                failures.AddRange(model.Differences(live).Select(d => $"after the import and the changes: {d}"));
            }
            catch (Exception e)
            {
                failures.Add($"after the import and the changes: no snapshot: {e.GetType().Name}: {e.Message}");
            }
        }

        var restarted = Stopwatch.GetTimestamp();
        await using var again = await EngineHost.StartAsync(connectionString, clock);
        var siloStartSeconds = Stopwatch.GetElapsedTime(restarted).TotalSeconds;
        var activating = Stopwatch.GetTimestamp();
        await again.Client.GetGrain<ICycleGrain>(org.Cycle.Id).GetInfoAsync();
        var activationSeconds = Stopwatch.GetElapsedTime(activating).TotalSeconds;
        var snapshotting = Stopwatch.GetTimestamp();
        double firstSnapshotSeconds = 0;
        try
        {
            var snapshot = await again.Client.GetGrain<ICycleGrain>(org.Cycle.Id).GetSnapshotAsync();
            firstSnapshotSeconds = Stopwatch.GetElapsedTime(snapshotting).TotalSeconds;
            failures.AddRange(model.Differences(snapshot).Select(d => $"after the restart: {d}"));
            if (snapshot.Scores.Count != model.NodeCount) failures.Add($"after the restart: {snapshot.Scores.Count:N0} scores for {model.NodeCount:N0} nodes");
        }
        catch (Exception e)
        {
            failures.Add($"after the restart: no snapshot: {e.GetType().Name}: {e.Message}");
        }
        var replayed = await ReplayedAsync(connectionString, org.Cycle.Id);
        say($"Structure at scale: restart: silo {siloStartSeconds:F1} s, the cycle's activation {activationSeconds:F1} s ({replayed}), " +
            $"a first snapshot {firstSnapshotSeconds:F1} s.");
        return new StructureImportResult(org.NodeCount, generateSeconds, importSeconds, managed, workingSet, oneChange, siloStartSeconds,
            activationSeconds, replayed, firstSnapshotSeconds, [.. failures]);
    }

    /// <summary>What an activation of the cycle reads now: its latest snapshot and the log rows after it.</summary>
    private static async Task<string> ReplayedAsync(string connectionString, string cycleId)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            with s as (select max(seq) as seq from okr_structure_snapshot where cycle_id = @cycle)
            select (select seq from s), count(*), coalesce(sum(length(ops)), 0) from okr_structure_log
            where cycle_id = @cycle and seq > coalesce((select seq from s), 0)
            """, conn);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        var rows = reader.GetInt64(1);
        var mib = reader.GetInt64(2) / 1048576.0;
        return reader.IsDBNull(0)
            ? $"no snapshot yet: {rows:N0} log rows, {mib:N1} MiB"
            : $"the snapshot of change {reader.GetInt64(0):N0} and {rows:N0} log rows after it, {mib:N1} MiB";
    }
}
