namespace OkrGrid.Bench;

/// <summary>After a run: wait for quiet, then compare every node with the pure reference of the final inputs.</summary>
public static class Verification
{
    public static async Task<CycleSnapshot> WaitQuietAsync(IGrainFactory grains, string cycleId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        CycleSnapshot? previous = null;
        while (true)
        {
            await Task.Delay(300);
            var s = await grains.GetGrain<ICycleGrain>(cycleId).GetSnapshotAsync();
            if (previous is not null && s.Scores.Count == previous.Scores.Count
                && s.Scores.All(kv => previous.Scores.TryGetValue(kv.Key, out var p) && p.Version == kv.Value.Version))
                return s;
            if (DateTime.UtcNow > deadline) return s;
            previous = s;
        }
    }

    /// <summary>The nodes whose score differs from the reference of the ledger's inputs (empty when the run is exact).</summary>
    public static List<string> Differences(CycleSnapshot s, Ledger ledger, DateTimeOffset now)
    {
        var elapsed = Rules.ExpectedProgress(s.Cycle.Definition.Start, s.Cycle.Definition.End, now);
        return ReferenceCheck.Differences(s, GraphScorer.Score(s.Objectives, s.KeyResults, s.Edges, ledger.InputOf, elapsed, s.Policy));
    }
}
