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

    /// <summary>
    /// As <see cref="Differences"/> for an engine whose clock is not pinned (the web host runs on the system clock):
    /// a node's status was computed at some moment between <paramref name="from"/> and <paramref name="to"/>, and
    /// expected progress moves on meanwhile, so a status is right when it is the reference's status at either end or
    /// between them (the gap to expected progress only grows with time). Everything else must be exact. Also
    /// returns how many nodes needed that latitude.
    /// </summary>
    public static (List<string> Differences, int StatusesWithinWindow) DifferencesWithinClock(
        CycleSnapshot s, Ledger ledger, DateTimeOffset from, DateTimeOffset to)
    {
        Dictionary<string, NodeScore> ReferenceAt(DateTimeOffset now) => GraphScorer.Score(s.Objectives, s.KeyResults, s.Edges, ledger.InputOf,
            Rules.ExpectedProgress(s.Cycle.Definition.Start, s.Cycle.Definition.End, now), s.Policy);
        var early = ReferenceAt(from);
        var late = ReferenceAt(to);
        var widened = 0;
        var reference = new Dictionary<string, NodeScore>(late.Count);
        foreach (var (id, expected) in late)
        {
            var status = expected.Status;
            if (s.Scores.TryGetValue(id, out var actual) && actual.Status != status && early.TryGetValue(id, out var before)
                && before.Status != Status.NoData && status != Status.NoData && actual.Status != Status.NoData
                && actual.Status >= (Status)Math.Min((int)before.Status, (int)status)
                && actual.Status <= (Status)Math.Max((int)before.Status, (int)status))
            {
                status = actual.Status;
                widened++;
            }
            reference[id] = expected with { Status = status };
        }
        return (ReferenceCheck.Differences(s, reference), widened);
    }
}
