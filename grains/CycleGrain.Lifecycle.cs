namespace OkrGrid.Grains;

public sealed partial class CycleGrain
{
    async Task ICycleGrain.SetPolicyAsync(ScoringPolicy policy)
    {
        _ = Definition;
        OrganisationGrain.ValidatePolicy(policy);
        await CommitAsync(r => r.Policy = policy);
        await NotifyAllAsync();
    }

    async Task<CycleInfo> ICycleGrain.CloseAsync()
    {
        EnsureOpen();
        // Grades come from the key results' exact current scores, rolled up by the pure rules: a check-in that is
        // still on its way up the cascade is counted all the same.
        var krScores = new Dictionary<string, NodeScore>();
        foreach (var chunk in R.KeyResults.Keys.Chunk(2048))
            foreach (var s in await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<IKeyResultGrain>(id).GetScoreAsync())))
                krScores[s.NodeId] = s;
        var now = clock.UtcNow;
        var elapsed = Rules.ExpectedProgress(Definition.Start, Definition.End, now);
        var all = GraphScorer.ScoreObjectives(R.Objectives.Values, R.Edges, krScores, elapsed, R.Policy);
        var frozen = all.ToDictionary(kv => kv.Key, kv => Rules.Freeze(kv.Value with { Version = 0 }));

        await CommitAsync(r => { r.Closed = true; r.ClosedAt = now; r.Frozen = frozen; });
        await NotifyAllAsync();
        return Info;
    }

    async Task<CycleInfo> ICycleGrain.ReopenAsync()
    {
        _ = Definition;
        if (!R.Closed) throw OkrRejectedException.Conflict("cycleId", $"cycle '{CycleId}' is not closed.");
        await CommitAsync(r => { r.Closed = false; r.ClosedAt = null; r.Frozen = []; });
        await NotifyAllAsync();
        return Info;
    }

    async Task<ImmutableArray<ObjectiveDefinition>> ICycleGrain.CarryOverAsync(string targetCycleId, ImmutableArray<string> objectiveIds)
    {
        _ = Definition;
        if (!R.Closed) throw OkrRejectedException.Conflict("cycleId", $"cycle '{CycleId}' must be closed before carrying objectives over.");
        if (targetCycleId == CycleId) throw OkrRejectedException.Invalid("targetCycleId", "must be another cycle.");
        var target = GrainFactory.GetGrain<ICycleGrain>(targetCycleId);
        CycleInfo targetInfo;
        try { targetInfo = await target.GetInfoAsync(); }
        catch (OkrRejectedException) { throw OkrRejectedException.NotFound("targetCycleId", targetCycleId); }
        if (targetInfo.Closed) throw OkrRejectedException.Conflict("targetCycleId", $"cycle '{targetCycleId}' is closed.");

        var ids = objectiveIds.IsDefault ? [] : objectiveIds;
        for (int i = 0; i < ids.Length; i++)
        {
            ObjectiveOf($"objectiveIds[{i}]", ids[i]);
            if (R.Frozen.GetValueOrDefault(ids[i])?.Grade >= 1)
                throw OkrRejectedException.Invalid($"objectiveIds[{i}]", $"'{ids[i]}' was completed (grade 1.0); only unfinished objectives carry over.");
        }

        var created = ImmutableArray.CreateBuilder<ObjectiveDefinition>();
        foreach (var id in ids.Distinct())
        {
            var old = R.Objectives[id];
            var copy = await target.CreateObjectiveAsync(new ObjectiveDraft(old.Title, old.Owner, old.Description, old.RollUp));
            foreach (var edge in ChildrenOf(id).Where(e => R.KeyResults.ContainsKey(e.ChildId)))
            {
                var kr = R.KeyResults[edge.ChildId];
                var final = R.Frozen.GetValueOrDefault(kr.Id);
                if (final is null || final.Progress >= 1) continue; // finished key results stay behind
                // An unfinished key result starts the new cycle where it ended.
                var start = kr.Kind == KeyResultKind.Milestone ? 0 : final.Value ?? kr.Start;
                await target.CreateKeyResultAsync(new KeyResultDraft(kr.Title, kr.Owner, kr.Kind, start, kr.Target,
                    copy.Id, edge.Weight, kr.Unit, kr.KpiId));
            }
            created.Add(copy);
        }
        return created.ToImmutable();
    }
}
