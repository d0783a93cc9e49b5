using System.Globalization;
using OkrGrid.Access;
using OkrGrid.Structure;

namespace OkrGrid.Engine;

public sealed partial class CycleGrain
{
    Task ICycleGrain.ImportAsync(ImmutableArray<ObjectiveDefinition> objectives, ImmutableArray<KeyResultDefinition> keyResults,
        ImmutableArray<Edge> edges, Actor? actor, DateTimeOffset? effectiveAt) => RunAsync(async () =>
    {
        EnsureOpen();
        // Only the engine itself (seeding a demo, a migration) may say an import took effect earlier than now.
        if (effectiveAt is not null && actor is not null)
            throw OkrRejectedException.Invalid("effectiveAt", "only the system may date an import back.");
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
        bool IsObjective(string id) => newObjectives.Contains(id) || _structure.Objectives.ContainsKey(id);
        bool IsKeyResult(string id) => newKeyResults.Contains(id) || _structure.KeyResults.ContainsKey(id);
        // Checked against the live indexes and the import's own edges only: the cost is the import's, not the cycle's.
        var keyResultParents = new HashSet<string>();
        var pairs = new HashSet<(string, string)>();
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
            if (ParentsOf(e.ChildId).Any(x => x.ParentId == e.ParentId) || !pairs.Add((e.ParentId, e.ChildId))) throw OkrRejectedException.Invalid($"edges[{i}]", $"'{e.ChildId}' is already under '{e.ParentId}'.");
            if (IsKeyResult(e.ChildId) && (ParentsOf(e.ChildId).Count > 0 || !keyResultParents.Add(e.ChildId)))
                throw OkrRejectedException.Invalid($"edges[{i}].childId", $"key result '{e.ChildId}' already has an objective.");
        }
        EnsureNoLoop(edges.Where(e => IsObjective(e.ChildId)).ToList());
        await EnsureMayImportAsync(actor, objectiveDefs, keyResultDefs, edges);

        List<StructureOp> ops = [.. objectiveDefs.Select(o => new ObjectivePut(o, null)), .. keyResultDefs.Select(k => new KeyResultPut(k, null)),
            .. edges.Select(e => new EdgeAdded(e))];
        // New nodes read their setup when they first activate; existing objectives that gained children must hear now.
        return new Command(ops, Audit(actor, AuditActions.Imported, CycleId, null, ImportAudit(objectiveDefs, keyResultDefs, edges)),
            [.. Objectives(edges.Select(e => e.ParentId).Where(p => !newObjectives.Contains(p)))],
            After: async () =>
            {
                foreach (var group in keyResultDefs.Where(k => k.KpiId is not null).GroupBy(k => k.KpiId!))
                    await GrainFactory.GetGrain<IKpiGrain>(group.Key).LinkManyAsync([.. group.Select(k => k.Id)]);
            },
            EffectiveAt: effectiveAt);
    });

    /// <summary>Most nodes an import's audit entry lists in full; the log row always holds everything.</summary>
    private const int AuditedImportNodes = 1000;

    /// <summary>
    /// What an import's audit entry says: everything for an ordinary import; for a large one (a whole organisation,
    /// up to millions of nodes, more than a JSON value may hold) the counts and the first ids — the complete import is
    /// the cycle's structure log row of the same number.
    /// </summary>
    private static object ImportAudit(List<ObjectiveDefinition> objectives, List<KeyResultDefinition> keyResults, ImmutableArray<Edge> edges) =>
        objectives.Count + keyResults.Count <= AuditedImportNodes
            ? new { objectives, keyResults, edges }
            : new
            {
                objectiveCount = objectives.Count, keyResultCount = keyResults.Count, edgeCount = edges.Length,
                firstObjectives = objectives.Take(50).Select(o => o.Id), firstKeyResults = keyResults.Take(50).Select(k => k.Id),
                complete = "in the cycle's structure log, at this entry's number",
            };

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
            if (_structure.Objectives.TryGetValue(parentId, out var parent) && (newKeyResults.Contains(childId) || _structure.KeyResults.ContainsKey(childId)))
                await EnsureMayChangeAsync(actor, parent.Owner, $"edges[{i}].parentId", "an objective");
            // An existing node that gains a parent changes too.
            if (_structure.Objectives.TryGetValue(childId, out var objective))
                await EnsureMayChangeAsync(actor, objective.Owner, $"edges[{i}].childId", "an objective");
            else if (_structure.KeyResults.TryGetValue(childId, out var keyResult))
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
            await GrainFactory.GetGrain<IOrganisationGrain>(_structure.CompanyId).EnsureOwnersAsync(distinct);
        }
        catch (OkrRejectedException e) when (e.Field.StartsWith("owners[", StringComparison.Ordinal))
        {
            var bad = distinct[int.Parse(e.Field["owners[".Length..^1], CultureInfo.InvariantCulture)];
            var at = all.IndexOf(bad);
            var field = at < objectiveCount ? $"objectives[{at}].owner" : $"keyResults[{at - objectiveCount}].owner";
            throw new OkrRejectedException(e.Kind, field, e.Reason);
        }
    }

    /// <summary>
    /// The imported objective alignments must not close a loop with each other or with the existing ones: for each new
    /// edge parent → child, the child must not be at or above the parent — found by walking up from the parent through
    /// existing and imported parents, so the cost is the ancestors' of the imported nodes, not the cycle's.
    /// </summary>
    private void EnsureNoLoop(List<Edge> objectiveEdges)
    {
        var importedParents = new Dictionary<string, List<string>>();
        foreach (var e in objectiveEdges)
            (importedParents.TryGetValue(e.ChildId, out var list) ? list : importedParents[e.ChildId] = []).Add(e.ParentId);
        foreach (var e in objectiveEdges)
        {
            var seen = new HashSet<string>();
            var stack = new Stack<string>([e.ParentId]);
            while (stack.TryPop(out var id))
            {
                if (id == e.ChildId) throw OkrRejectedException.Conflict("edges", $"the alignments would make a loop through '{e.ChildId}'.");
                if (!seen.Add(id)) continue;
                foreach (var p in ParentsOf(id)) stack.Push(p.ParentId);
                if (importedParents.TryGetValue(id, out var more)) foreach (var p in more) stack.Push(p);
            }
        }
    }
}
