using OkrGrid.Access;
using OkrGrid.Structure;

namespace OkrGrid.Engine;

public sealed partial class CycleGrain
{
    async Task ICycleGrain.SetPolicyAsync(ScoringPolicy policy, Actor? actor)
    {
        await RunAsync(() =>
        {
            _ = Definition;
            AccessChecks.EnsureMayAdminister(actor, "policy", "change the scoring policy");
            OrganisationGrain.ValidatePolicy(policy);
            var old = _structure.Policy;
            return Task.FromResult(new Command([new PolicySet(policy, old)], Audit(actor, AuditActions.PolicyChanged, CycleId, old, policy), []));
        });
        await NotifyAllAsync();
    }

    async Task<CycleInfo> ICycleGrain.CloseAsync(Actor? actor)
    {
        await RunAsync(async () =>
        {
            EnsureOpen();
            AccessChecks.EnsureMayAdminister(actor, "cycleId", "close a cycle");
            // Grades come from the key results' exact current scores, rolled up by the pure rules: a check-in that is
            // still on its way up the cascade is counted all the same.
            var krScores = new Dictionary<string, NodeScore>();
            foreach (var chunk in _structure.KeyResults.Keys.Chunk(2048))
                foreach (var s in await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<IKeyResultGrain>(id).GetScoreAsync())))
                    krScores[s.NodeId] = s;
            var now = clock.GetUtcNow();
            var elapsed = Rules.ExpectedProgress(Definition.Start, Definition.End, now);
            var all = GraphScorer.ScoreObjectives(_structure.Objectives.Values, _structure.Edges, krScores, elapsed, _structure.Policy);
            var frozen = all.Values.Select(s => Rules.Freeze(s with { Version = 0 })).ToImmutableArray();
            return new Command([new CycleClosed(now, frozen)],
                Audit(actor, AuditActions.CycleClosed, CycleId, new { closed = false }, new { closed = true, closedAt = now }), []);
        });
        await NotifyAllAsync();
        return Info;
    }

    async Task<CycleInfo> ICycleGrain.ReopenAsync(Actor? actor)
    {
        await RunAsync(() =>
        {
            _ = Definition;
            AccessChecks.EnsureMayAdminister(actor, "cycleId", "reopen a cycle");
            if (!_structure.Closed) throw OkrRejectedException.Conflict("cycleId", $"cycle '{CycleId}' is not closed.");
            var closedAt = _structure.ClosedAt;
            return Task.FromResult(new Command([new CycleReopened(closedAt, [.. _structure.Frozen.Values])],
                Audit(actor, AuditActions.CycleReopened, CycleId, new { closed = true, closedAt }, new { closed = false }), []));
        });
        await NotifyAllAsync();
        return Info;
    }

    async Task<ImmutableArray<ObjectiveDefinition>> ICycleGrain.CarryOverAsync(string targetCycleId, ImmutableArray<string> objectiveIds, Actor? actor)
    {
        _ = Definition;
        AccessChecks.EnsureMayAdminister(actor, "cycleId", "carry objectives over");
        if (!_structure.Closed) throw OkrRejectedException.Conflict("cycleId", $"cycle '{CycleId}' must be closed before carrying objectives over.");
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
            if (_structure.Frozen.GetValueOrDefault(ids[i])?.Grade >= 1)
                throw OkrRejectedException.Invalid($"objectiveIds[{i}]", $"'{ids[i]}' was completed (grade 1.0); only unfinished objectives carry over.");
        }

        var created = ImmutableArray.CreateBuilder<ObjectiveDefinition>();
        foreach (var id in ids.Distinct())
        {
            var old = _structure.Objectives[id];
            // Created in the target cycle by the same actor: its audit trail shows the new objectives and key results.
            var copy = await target.CreateObjectiveAsync(new ObjectiveDraft(old.Title, old.Owner, old.Description, old.RollUp), actor);
            foreach (var edge in ChildrenOf(id).Where(e => _structure.KeyResults.ContainsKey(e.ChildId)))
            {
                var kr = _structure.KeyResults[edge.ChildId];
                var final = _structure.Frozen.GetValueOrDefault(kr.Id);
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
