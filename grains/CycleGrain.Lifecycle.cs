using OkrGrid.Access;

namespace OkrGrid.Grains;

public sealed partial class CycleGrain
{
    async Task ICycleGrain.SetPolicyAsync(ScoringPolicy policy, Actor? actor)
    {
        _ = Definition;
        AccessChecks.EnsureMayAdminister(actor, "policy", "change the scoring policy");
        OrganisationGrain.ValidatePolicy(policy);
        var old = R.Policy;
        await CommitAsync(r => r.Policy = policy, Audit(actor, AuditActions.PolicyChanged, CycleId, old, policy));
        await NotifyAllAsync();
    }

    async Task<CycleInfo> ICycleGrain.CloseAsync(Actor? actor)
    {
        EnsureOpen();
        AccessChecks.EnsureMayAdminister(actor, "cycleId", "close a cycle");
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

        await CommitAsync(r => { r.Closed = true; r.ClosedAt = now; r.Frozen = frozen; },
            Audit(actor, AuditActions.CycleClosed, CycleId, new { closed = false }, new { closed = true, closedAt = now }));
        await NotifyAllAsync();
        return Info;
    }

    async Task<CycleInfo> ICycleGrain.ReopenAsync(Actor? actor)
    {
        _ = Definition;
        AccessChecks.EnsureMayAdminister(actor, "cycleId", "reopen a cycle");
        if (!R.Closed) throw OkrRejectedException.Conflict("cycleId", $"cycle '{CycleId}' is not closed.");
        var closedAt = R.ClosedAt;
        await CommitAsync(r => { r.Closed = false; r.ClosedAt = null; r.Frozen = []; },
            Audit(actor, AuditActions.CycleReopened, CycleId, new { closed = true, closedAt }, new { closed = false }));
        await NotifyAllAsync();
        return Info;
    }

    async Task<ImmutableArray<ObjectiveDefinition>> ICycleGrain.CarryOverAsync(string targetCycleId, ImmutableArray<string> objectiveIds, Actor? actor)
    {
        _ = Definition;
        AccessChecks.EnsureMayAdminister(actor, "cycleId", "carry objectives over");
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
            // Created in the target cycle by the same actor: its audit trail shows the new objectives and key results.
            var copy = await target.CreateObjectiveAsync(new ObjectiveDraft(old.Title, old.Owner, old.Description, old.RollUp), actor);
            foreach (var edge in ChildrenOf(id).Where(e => R.KeyResults.ContainsKey(e.ChildId)))
            {
                var kr = R.KeyResults[edge.ChildId];
                var final = R.Frozen.GetValueOrDefault(kr.Id);
                if (final is null || final.Progress >= 1) continue; // finished key results stay behind
                // An unfinished key result starts the new cycle where it ended.
                var start = kr.Kind == KeyResultKind.Milestone ? 0 : final.Value ?? kr.Start;
                await target.CreateKeyResultAsync(new KeyResultDraft(kr.Title, kr.Owner, kr.Kind, start, kr.Target,
                    copy.Id, edge.Weight, kr.Unit, kr.KpiId), actor);
            }
            created.Add(copy);
        }
        return created.ToImmutable();
    }
}
