using OkrGrid.Access;
using OkrGrid.Structure;

namespace OkrGrid.Engine;

public sealed partial class CycleGrain
{
    Task ICycleGrain.UpsertAsync(CycleUpsert upsert, Actor? actor) => RunAsync(async () =>
    {
        EnsureOpen();
        AccessChecks.EnsureMayAdminister(actor, "cycleId", "import into a cycle");
        if (upsert is null) throw OkrRejectedException.Invalid("upsert", "must not be null.");
        var objectives = upsert.Objectives.IsDefault ? [] : upsert.Objectives;
        var keyResults = upsert.KeyResults.IsDefault ? [] : upsert.KeyResults;
        var edges = upsert.Edges.IsDefault ? [] : upsert.Edges;
        var listed = new HashSet<string>();
        var listedObjectives = new HashSet<string>();
        var puts = new List<StructureOp>();
        var changed = new List<(string, NodeKind)>();
        var objectiveDefs = new List<ObjectiveDefinition>(objectives.Length);
        for (int i = 0; i < objectives.Length; i++)
        {
            var o = objectives[i] ?? throw OkrRejectedException.Invalid($"objectives[{i}]", "must not be null.");
            UpsertedId($"objectives[{i}].id", o.Id, listed);
            if (_structure.KeyResults.ContainsKey(o.Id)) throw OkrRejectedException.Conflict($"objectives[{i}].id", $"'{o.Id}' is a key result.");
            Check.Enum($"objectives[{i}].rollUp", o.RollUp);
            var def = o with
            {
                CycleId = CycleId,
                Title = Check.Title($"objectives[{i}].title", o.Title),
                Description = Check.Text($"objectives[{i}].description", o.Description, Check.MaxDescription),
            };
            objectiveDefs.Add(def);
            listedObjectives.Add(def.Id);
            var before = _structure.Objectives.GetValueOrDefault(def.Id);
            if (before is null) puts.Add(new ObjectivePut(def, null));
            else if (before != def) { puts.Add(new ObjectivePut(def, before)); changed.Add((def.Id, NodeKind.Objective)); }
        }
        var keyResultDefs = new List<KeyResultDefinition>(keyResults.Length);
        var kpiLinks = new List<(string KeyResultId, string? Old, string? New)>();
        for (int i = 0; i < keyResults.Length; i++)
        {
            var k = keyResults[i] ?? throw OkrRejectedException.Invalid($"keyResults[{i}]", "must not be null.");
            UpsertedId($"keyResults[{i}].id", k.Id, listed);
            if (_structure.Objectives.ContainsKey(k.Id)) throw OkrRejectedException.Conflict($"keyResults[{i}].id", $"'{k.Id}' is an objective.");
            try { Check.KeyResultShape(k.Kind, k.Start, k.Target, k.KpiId); }
            catch (OkrRejectedException e) { throw new OkrRejectedException(e.Kind, $"keyResults[{i}].{e.Field}", e.Reason); }
            var def = k with
            {
                CycleId = CycleId,
                Title = Check.Title($"keyResults[{i}].title", k.Title),
                Unit = Check.Text($"keyResults[{i}].unit", k.Unit, Check.MaxUnit),
            };
            keyResultDefs.Add(def);
            var before = _structure.KeyResults.GetValueOrDefault(def.Id);
            if (before is null) puts.Add(new KeyResultPut(def, null));
            else if (before != def) { puts.Add(new KeyResultPut(def, before)); changed.Add((def.Id, NodeKind.KeyResult)); }
            if (before?.KpiId != def.KpiId) kpiLinks.Add((def.Id, before?.KpiId, def.KpiId));
        }
        await EnsureImportedOwnersAsync(objectiveDefs.Select(o => o.Owner).Concat(keyResultDefs.Select(k => k.Owner)), objectiveDefs.Count);
        foreach (var kpiId in keyResultDefs.Where(k => k.KpiId is not null).Select(k => k.KpiId!).Distinct())
            await EnsureKpiAsync(kpiId);

        // The parents each listed node ends with.
        var wanted = new Dictionary<string, List<Edge>>();
        var pairs = new HashSet<(string, string)>();
        for (int i = 0; i < edges.Length; i++)
        {
            var e = edges[i] ?? throw OkrRejectedException.Invalid($"edges[{i}]", "must not be null.");
            Check.Weight($"edges[{i}].weight", e.Weight);
            if (!listedObjectives.Contains(e.ParentId) && !_structure.Objectives.ContainsKey(e.ParentId))
                throw listed.Contains(e.ParentId) || _structure.KeyResults.ContainsKey(e.ParentId)
                    ? OkrRejectedException.Invalid($"edges[{i}].parentId", $"'{e.ParentId}' is a key result; only objectives can be parents.")
                    : NotInThisCycle($"edges[{i}].parentId", e.ParentId, "objective");
            if (!listed.Contains(e.ChildId))
                throw OkrRejectedException.Invalid($"edges[{i}].childId", $"'{e.ChildId}' is not one of the imported nodes; an import sets the parents of its own nodes only.");
            if (e.ParentId == e.ChildId) throw OkrRejectedException.Invalid($"edges[{i}].parentId", "an objective cannot align to itself.");
            if (!pairs.Add((e.ParentId, e.ChildId))) throw OkrRejectedException.Invalid($"edges[{i}]", $"'{e.ChildId}' is under '{e.ParentId}' twice.");
            var list = wanted.TryGetValue(e.ChildId, out var l) ? l : wanted[e.ChildId] = [];
            if (!listedObjectives.Contains(e.ChildId) && list.Count > 0)
                throw OkrRejectedException.Invalid($"edges[{i}].childId", $"key result '{e.ChildId}' can have one objective only.");
            list.Add(e);
        }

        var removed = new List<Edge>();
        var added = new List<Edge>();
        foreach (var id in listed)
        {
            var now = ParentsOf(id);
            var then = wanted.GetValueOrDefault(id) ?? [];
            removed.AddRange(now.Where(e => !then.Any(w => w.ParentId == e.ParentId && w.Weight.Equals(e.Weight))));
            added.AddRange(then.Where(w => !now.Any(e => e.ParentId == w.ParentId && e.Weight.Equals(w.Weight))));
        }
        // Listed in the order given, so the log row reads as the file did.
        var order = edges.Select((e, i) => (e.ParentId, e.ChildId, i)).ToDictionary(x => (x.ParentId, x.ChildId), x => x.i);
        added.Sort((a, b) => order[(a.ParentId, a.ChildId)].CompareTo(order[(b.ParentId, b.ChildId)]));

        List<StructureOp> ops = [.. puts, .. removed.Select(e => new EdgeRemoved(e)), .. added.Select(e => new EdgeAdded(e))];
        if (upsert.Policy is { } policy && policy != _structure.Policy)
        {
            try { OrganisationGrain.ValidatePolicy(policy); }
            catch (OkrRejectedException e) { throw new OkrRejectedException(e.Kind, $"policy.{e.Field}", e.Reason); }
            ops.Add(new PolicySet(policy, _structure.Policy));
        }

        // Loops: tried on a copy with every op applied; a new loop goes through an added objective edge.
        if (added.Any(e => listedObjectives.Contains(e.ChildId)))
        {
            var trial = _structure.Clone();
            foreach (var op in ops) trial.Apply(op);
            foreach (var e in added.Where(e => listedObjectives.Contains(e.ChildId)))
                if (trial.IsAtOrBelow(e.ParentId, e.ChildId))
                    throw OkrRejectedException.Conflict($"edges[{order[(e.ParentId, e.ChildId)]}]", $"the alignments would make a loop through '{e.ChildId}'.");
        }

        var joined = added.Select(e => e.ParentId).Where(_structure.Objectives.ContainsKey).Distinct().ToList();
        var left = removed.Select(e => e.ParentId).Distinct().ToList();
        var moved = removed.Select(e => e.ChildId).Concat(added.Select(e => e.ChildId)).Where(Exists).Distinct()
            .Select(id => (id, _structure.Objectives.ContainsKey(id) ? NodeKind.Objective : NodeKind.KeyResult));
        var policyChanged = ops.OfType<PolicySet>().Any();
        var created = puts.Count(p => p is ObjectivePut { Before: null } or KeyResultPut { Before: null });
        var audit = Audit(actor, AuditActions.Imported, CycleId, null, new
        {
            summary = upsert.Summary,
            created, updated = changed.Count, edgesRemoved = removed.Count, edgesAdded = added.Count, policy = policyChanged ? upsert.Policy : null,
            nodes = listed.Count <= AuditedImportNodes ? listed.Order(StringComparer.Ordinal).ToList() : null,
        });
        return new Command(ops, audit,
            [.. Objectives(joined), .. changed, .. moved, .. Objectives(left)],
            After: kpiLinks.Count == 0 && !policyChanged ? null : async () =>
            {
                // Every node's status reads the policy, as after SetPolicyAsync.
                if (policyChanged) await NotifyAllAsync();
                foreach (var (keyResultId, old, @new) in kpiLinks)
                {
                    if (old is not null) await GrainFactory.GetGrain<IKpiGrain>(old).UnlinkAsync(keyResultId);
                    if (@new is not null) await GrainFactory.GetGrain<IKpiGrain>(@new).LinkAsync(keyResultId);
                }
            });
    });

    private void UpsertedId(string field, string id, HashSet<string> listed)
    {
        if (NodeIds.CycleOf(id ?? "") != CycleId) throw OkrRejectedException.Invalid(field, $"must be an id of cycle '{CycleId}' (\"{CycleId}:…\").");
        Check.Slug(field, id![(CycleId.Length + 1)..]);
        if (!listed.Add(id)) throw OkrRejectedException.Conflict(field, $"'{id}' is listed twice.");
    }
}
