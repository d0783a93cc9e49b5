using OkrGrid.Access;

namespace OkrGrid.Grains;

public sealed partial class CycleGrain
{
    async Task ICycleGrain.ImportAsync(ImmutableArray<ObjectiveDefinition> objectives, ImmutableArray<KeyResultDefinition> keyResults,
        ImmutableArray<Edge> edges, Actor? actor)
    {
        EnsureOpen();
        objectives = objectives.IsDefault ? [] : objectives;
        keyResults = keyResults.IsDefault ? [] : keyResults;
        edges = edges.IsDefault ? [] : edges;
        var newIds = new HashSet<string>();

        var objectiveDefs = new List<ObjectiveDefinition>(objectives.Length);
        for (int i = 0; i < objectives.Length; i++)
        {
            var o = objectives[i] ?? throw OkrRejectedException.Invalid($"objectives[{i}]", "must not be null.");
            ImportedId($"objectives[{i}].id", o.Id, newIds);
            Check.Enum($"objectives[{i}].rollUp", o.RollUp);
            objectiveDefs.Add(o with
            {
                CycleId = CycleId,
                Title = Check.Title($"objectives[{i}].title", o.Title),
                Description = Check.Text($"objectives[{i}].description", o.Description, Check.MaxDescription),
            });
        }
        var keyResultDefs = new List<KeyResultDefinition>(keyResults.Length);
        for (int i = 0; i < keyResults.Length; i++)
        {
            var k = keyResults[i] ?? throw OkrRejectedException.Invalid($"keyResults[{i}]", "must not be null.");
            ImportedId($"keyResults[{i}].id", k.Id, newIds);
            try { Check.KeyResultShape(k.Kind, k.Start, k.Target, k.KpiId); }
            catch (OkrRejectedException e) { throw new OkrRejectedException(e.Kind, $"keyResults[{i}].{e.Field}", e.Reason); }
            keyResultDefs.Add(k with
            {
                CycleId = CycleId,
                Title = Check.Title($"keyResults[{i}].title", k.Title),
                Unit = Check.Text($"keyResults[{i}].unit", k.Unit, Check.MaxUnit),
            });
        }
        await EnsureImportedOwnersAsync(objectiveDefs.Select(o => o.Owner).Concat(keyResultDefs.Select(k => k.Owner)), objectiveDefs.Count);
        foreach (var kpiId in keyResultDefs.Where(k => k.KpiId is not null).Select(k => k.KpiId!).Distinct())
            await EnsureKpiAsync(kpiId);

        var newObjectives = objectiveDefs.Select(o => o.Id).ToHashSet();
        var newKeyResults = keyResultDefs.Select(k => k.Id).ToHashSet();
        bool IsObjective(string id) => newObjectives.Contains(id) || R.Objectives.ContainsKey(id);
        bool IsKeyResult(string id) => newKeyResults.Contains(id) || R.KeyResults.ContainsKey(id);
        var keyResultParents = new HashSet<string>(R.KeyResults.Keys.Where(k => ParentsOf(k).Count > 0));
        var pairs = new HashSet<(string, string)>(R.Edges.Select(e => (e.ParentId, e.ChildId)));
        for (int i = 0; i < edges.Length; i++)
        {
            var e = edges[i] ?? throw OkrRejectedException.Invalid($"edges[{i}]", "must not be null.");
            Check.Weight($"edges[{i}].weight", e.Weight);
            if (!IsObjective(e.ParentId))
                throw IsKeyResult(e.ParentId)
                    ? OkrRejectedException.Invalid($"edges[{i}].parentId", $"'{e.ParentId}' is a key result; only objectives can be parents.")
                    : NotInThisCycle($"edges[{i}].parentId", e.ParentId, "objective");
            if (!IsObjective(e.ChildId) && !IsKeyResult(e.ChildId)) throw NotInThisCycle($"edges[{i}].childId", e.ChildId, "node");
            if (e.ParentId == e.ChildId) throw OkrRejectedException.Invalid($"edges[{i}].parentId", "an objective cannot align to itself.");
            if (!pairs.Add((e.ParentId, e.ChildId))) throw OkrRejectedException.Invalid($"edges[{i}]", $"'{e.ChildId}' is already under '{e.ParentId}'.");
            if (IsKeyResult(e.ChildId) && !keyResultParents.Add(e.ChildId))
                throw OkrRejectedException.Invalid($"edges[{i}].childId", $"key result '{e.ChildId}' already has an objective.");
        }
        EnsureAcyclic(R.Edges.Concat(edges).Where(e => IsObjective(e.ChildId)));
        await EnsureMayImportAsync(actor, objectiveDefs, keyResultDefs, edges);

        await CommitAsync(r =>
        {
            foreach (var o in objectiveDefs) r.Objectives[o.Id] = o;
            foreach (var k in keyResultDefs) r.KeyResults[k.Id] = k;
            r.Edges.AddRange(edges);
        }, Audit(actor, AuditActions.Imported, CycleId, null, new { objectives = objectiveDefs, keyResults = keyResultDefs, edges }));
        foreach (var group in keyResultDefs.Where(k => k.KpiId is not null).GroupBy(k => k.KpiId!))
            await GrainFactory.GetGrain<IKpiGrain>(group.Key).LinkManyAsync([.. group.Select(k => k.Id)]);
        // New nodes read their setup when they first activate; existing objectives that gained children must hear now.
        await NotifyAsync(Objectives(edges.Select(e => e.ParentId).Where(p => !newObjectives.Contains(p))));
    }

    /// <summary>
    /// Every new node's owner must be one the actor may change, and so must every existing objective that gains a key
    /// result (a key result is part of its objective); aligning new objectives under existing ones needs nothing more.
    /// </summary>
    private async Task EnsureMayImportAsync(Actor? actor, List<ObjectiveDefinition> objectives, List<KeyResultDefinition> keyResults, ImmutableArray<Edge> edges)
    {
        if (actor is null) return;
        for (int i = 0; i < objectives.Count; i++)
            await EnsureMayChangeAsync(actor, objectives[i].Owner, $"objectives[{i}].owner", "an objective");
        for (int i = 0; i < keyResults.Count; i++)
            await EnsureMayChangeAsync(actor, keyResults[i].Owner, $"keyResults[{i}].owner", "a key result");
        var newKeyResults = keyResults.Select(k => k.Id).ToHashSet();
        for (int i = 0; i < edges.Length; i++)
        {
            var (parentId, childId) = (edges[i].ParentId, edges[i].ChildId);
            if (R.Objectives.TryGetValue(parentId, out var parent) && (newKeyResults.Contains(childId) || R.KeyResults.ContainsKey(childId)))
                await EnsureMayChangeAsync(actor, parent.Owner, $"edges[{i}].parentId", "an objective");
            // An existing node that gains a parent changes too.
            if (R.Objectives.TryGetValue(childId, out var objective))
                await EnsureMayChangeAsync(actor, objective.Owner, $"edges[{i}].childId", "an objective");
            else if (R.KeyResults.TryGetValue(childId, out var keyResult))
                await EnsureMayChangeAsync(actor, keyResult.Owner, $"edges[{i}].childId", "a key result");
        }
    }

    private void ImportedId(string field, string id, HashSet<string> newIds)
    {
        if (NodeIds.CycleOf(id ?? "") != CycleId) throw OkrRejectedException.Invalid(field, $"must be an id of cycle '{CycleId}' (\"{CycleId}:…\").");
        Check.Slug(field, id![(CycleId.Length + 1)..]);
        if (Exists(id) || !newIds.Add(id)) throw OkrRejectedException.Conflict(field, $"'{id}' already exists.");
    }

    private async Task EnsureImportedOwnersAsync(IEnumerable<Owner> owners, int objectiveCount)
    {
        var all = owners.ToList();
        var distinct = all.Distinct().ToImmutableArray();
        try
        {
            await GrainFactory.GetGrain<IOrganisationGrain>(R.CompanyId).EnsureOwnersAsync(distinct);
        }
        catch (OkrRejectedException e) when (e.Field.StartsWith("owners[", StringComparison.Ordinal))
        {
            var bad = distinct[int.Parse(e.Field["owners[".Length..^1])];
            var at = all.IndexOf(bad);
            var field = at < objectiveCount ? $"objectives[{at}].owner" : $"keyResults[{at - objectiveCount}].owner";
            throw new OkrRejectedException(e.Kind, field, e.Reason);
        }
    }

    /// <summary>Kahn's algorithm over the objective alignments: a leftover node sits on a loop.</summary>
    private static void EnsureAcyclic(IEnumerable<Edge> objectiveEdges)
    {
        var children = new Dictionary<string, List<string>>();
        var inDegree = new Dictionary<string, int>();
        foreach (var e in objectiveEdges)
        {
            (children.TryGetValue(e.ParentId, out var list) ? list : children[e.ParentId] = []).Add(e.ChildId);
            inDegree[e.ChildId] = inDegree.GetValueOrDefault(e.ChildId) + 1;
            inDegree.TryAdd(e.ParentId, 0);
        }
        var ready = new Queue<string>(inDegree.Where(kv => kv.Value == 0).Select(kv => kv.Key));
        var done = 0;
        while (ready.TryDequeue(out var id))
        {
            done++;
            foreach (var c in children.GetValueOrDefault(id) ?? [])
                if (--inDegree[c] == 0) ready.Enqueue(c);
        }
        if (done < inDegree.Count)
        {
            var onLoop = inDegree.First(kv => kv.Value > 0).Key;
            throw OkrRejectedException.Conflict("edges", $"the alignments would make a loop through '{onLoop}'.");
        }
    }
}
