using OkrGrid.Access;
using OkrGrid.Domain.Planning;
using OkrGrid.Planning;
using OkrGrid.Structure;

namespace OkrGrid.Engine;

public sealed partial class CycleGrain
{
    // ---- Objectives --------------------------------------------------------------------------------------

    async Task<ObjectiveDefinition> ICycleGrain.CreateObjectiveAsync(ObjectiveDraft draft, Actor? actor)
    {
        ObjectiveDefinition def = null!;
        await RunAsync(async () =>
        {
            EnsureOpen();
            var title = Check.Title("title", draft.Title);
            var description = Check.Text("description", draft.Description, Check.MaxDescription);
            Check.Enum("rollUp", draft.RollUp);
            await EnsureOwnerAsync(draft.Owner);
            await EnsureMayChangeAsync(actor, draft.Owner, "owner", "an objective");
            var id = NewId(draft.Id, "o", out var nextId);
            var parents = ValidateParents(id, draft.Parents.IsDefault ? [] : draft.Parents);
            def = new ObjectiveDefinition(id, CycleId, title, description, draft.Owner, draft.RollUp);
            List<StructureOp> ops = [new ObjectivePut(def, null), .. parents.Select(p => new EdgeAdded(new Edge(p.ParentId, id, p.Weight)))];
            if (draft.Id is null) ops.Add(new NextIdSet(nextId, _structure.NextId));
            return new Command(ops, Audit(actor, AuditActions.ObjectiveCreated, id, null, new { objective = def, parents }),
                [.. Objectives(parents.Select(p => p.ParentId))]);
        });
        return def;
    }

    async Task<ObjectiveDefinition> ICycleGrain.EditObjectiveAsync(string objectiveId, ObjectiveEdit edit, Actor? actor)
    {
        ObjectiveDefinition def = null!;
        await RunAsync(async () =>
        {
            EnsureOpen();
            var old = ObjectiveOf("objectiveId", objectiveId);
            await EnsureMayChangeAsync(actor, old.Owner, "objectiveId", "an objective");
            def = old with
            {
                Title = edit.Title is null ? old.Title : Check.Title("title", edit.Title),
                Description = edit.Description is null ? old.Description : Check.Text("description", edit.Description, Check.MaxDescription),
                Owner = edit.Owner ?? old.Owner,
                RollUp = edit.RollUp ?? old.RollUp,
            };
            Check.Enum("rollUp", def.RollUp);
            if (edit.Owner is not null)
            {
                await EnsureOwnerAsync(edit.Owner);
                await EnsureMayChangeAsync(actor, edit.Owner, "owner", "an objective");
            }
            // Parents show the title of their children.
            return new Command([new ObjectivePut(def, old)], Audit(actor, AuditActions.ObjectiveEdited, objectiveId, old, def),
                [.. Objectives([objectiveId, .. ParentsOf(objectiveId).Select(e => e.ParentId)])]);
        });
        return def;
    }

    Task ICycleGrain.AlignObjectiveAsync(string objectiveId, ImmutableArray<ParentLink> parents, Actor? actor) => RunAsync(async () =>
    {
        EnsureOpen();
        var objective = ObjectiveOf("objectiveId", objectiveId);
        await EnsureMayChangeAsync(actor, objective.Owner, "objectiveId", "an objective");
        var links = ValidateParents(objectiveId, parents.IsDefault ? [] : parents);
        var oldLinks = ParentsOf(objectiveId).Select(e => new ParentLink(e.ParentId, e.Weight)).ToList();
        var oldParents = oldLinks.Select(l => l.ParentId).ToList();
        List<StructureOp> ops = [.. ParentsOf(objectiveId).Select(e => new EdgeRemoved(e)),
            .. links.Select(p => new EdgeAdded(new Edge(p.ParentId, objectiveId, p.Weight)))];
        return new Command(ops, Audit(actor, AuditActions.ObjectiveAligned, objectiveId, oldLinks, links),
            [.. Objectives([.. links.Select(p => p.ParentId), objectiveId, .. oldParents])]);
    });

    /// <summary>
    /// Parents must be distinct objectives of this cycle, not the node itself, and not among its descendants
    /// (which would close a loop, also through multiple parents).
    /// </summary>
    private List<ParentLink> ValidateParents(string childId, ImmutableArray<ParentLink> parents)
    {
        var result = new List<ParentLink>();
        var isObjective = _structure.Objectives.ContainsKey(childId);
        for (int i = 0; i < parents.Length; i++)
        {
            var field = $"parents[{i}]";
            var p = parents[i] ?? throw OkrRejectedException.Invalid(field, "must not be null.");
            Check.Weight($"{field}.weight", p.Weight);
            if (p.ParentId == childId) throw OkrRejectedException.Invalid($"{field}.parentId", "an objective cannot align to itself.");
            EnsureObjectiveInThisCycle($"{field}.parentId", p.ParentId);
            if (isObjective && _structure.IsAtOrBelow(p.ParentId, childId))
                throw OkrRejectedException.Conflict($"{field}.parentId", $"'{p.ParentId}' is aligned under '{childId}'; aligning '{childId}' to it would make a loop.");
            if (result.Any(r => r.ParentId == p.ParentId)) throw OkrRejectedException.Invalid($"{field}.parentId", $"'{p.ParentId}' is listed twice.");
            result.Add(p);
        }
        return result;
    }

    // ---- Key results -------------------------------------------------------------------------------------

    async Task<KeyResultDefinition> ICycleGrain.CreateKeyResultAsync(KeyResultDraft draft, Actor? actor)
    {
        KeyResultDefinition def = null!;
        await RunAsync(async () =>
        {
            EnsureOpen();
            var title = Check.Title("title", draft.Title);
            var unit = Check.Text("unit", draft.Unit, Check.MaxUnit);
            Check.KeyResultShape(draft.Kind, draft.Start, draft.Target, draft.KpiId);
            Check.Weight("weight", draft.Weight);
            await EnsureOwnerAsync(draft.Owner);
            await EnsureMayChangeAsync(actor, draft.Owner, "owner", "a key result");
            if (draft.ObjectiveId is not null)
            {
                EnsureObjectiveInThisCycle("objectiveId", draft.ObjectiveId);
                // A key result is part of its objective: adding one changes the objective.
                await EnsureMayChangeAsync(actor, _structure.Objectives[draft.ObjectiveId].Owner, "objectiveId", "an objective");
            }
            if (draft.KpiId is not null) await EnsureKpiAsync(draft.KpiId);
            var id = NewId(draft.Id, "kr", out var nextId);
            def = new KeyResultDefinition(id, CycleId, title, draft.Owner, draft.Kind, draft.Start, draft.Target, unit, draft.KpiId);
            List<StructureOp> ops = [new KeyResultPut(def, null)];
            if (draft.ObjectiveId is not null) ops.Add(new EdgeAdded(new Edge(draft.ObjectiveId, id, draft.Weight)));
            if (draft.Id is null) ops.Add(new NextIdSet(nextId, _structure.NextId));
            return new Command(ops, Audit(actor, AuditActions.KeyResultCreated, id, null,
                new { keyResult = def, objectiveId = draft.ObjectiveId, weight = draft.ObjectiveId is null ? (double?)null : draft.Weight }),
                [.. Objectives(draft.ObjectiveId is null ? [] : [draft.ObjectiveId])],
                After: draft.KpiId is null ? null : () => GrainFactory.GetGrain<IKpiGrain>(draft.KpiId).LinkAsync(def.Id));
        });
        return def;
    }

    async Task<KeyResultDefinition> ICycleGrain.EditKeyResultAsync(string keyResultId, KeyResultEdit edit, Actor? actor)
    {
        KeyResultDefinition def = null!;
        await RunAsync(async () =>
        {
            EnsureOpen();
            var old = KeyResultOf("keyResultId", keyResultId);
            await EnsureMayChangeAsync(actor, old.Owner, "keyResultId", "a key result");
            var kind = edit.Kind ?? old.Kind;
            def = old with
            {
                Title = edit.Title is null ? old.Title : Check.Title("title", edit.Title),
                Owner = edit.Owner ?? old.Owner,
                Kind = kind,
                Start = edit.Start ?? old.Start,
                Target = edit.Target ?? old.Target,
                Unit = edit.Unit is null ? old.Unit : Check.Text("unit", edit.Unit, Check.MaxUnit),
                // Moving away from a KPI-linked kind drops the link; an explicit KPI id sets it.
                KpiId = edit.KpiId ?? (kind == KeyResultKind.KpiLinked ? old.KpiId : null),
            };
            Check.KeyResultShape(def.Kind, def.Start, def.Target, def.KpiId);
            if (edit.Owner is not null)
            {
                await EnsureOwnerAsync(edit.Owner);
                await EnsureMayChangeAsync(actor, edit.Owner, "owner", "a key result");
            }
            if (def.KpiId is not null && def.KpiId != old.KpiId) await EnsureKpiAsync(def.KpiId);
            return new Command([new KeyResultPut(def, old)], Audit(actor, AuditActions.KeyResultEdited, keyResultId, old, def),
                [(keyResultId, NodeKind.KeyResult), .. Objectives(ParentsOf(keyResultId).Select(e => e.ParentId))]);
        });
        return def;
    }

    Task ICycleGrain.MoveKeyResultAsync(string keyResultId, string? objectiveId, double? weight, Actor? actor) => RunAsync(async () =>
    {
        EnsureOpen();
        var keyResult = KeyResultOf("keyResultId", keyResultId);
        if (objectiveId is not null) EnsureObjectiveInThisCycle("objectiveId", objectiveId);
        if (weight is { } w) Check.Weight("weight", w);
        await EnsureMayMoveAsync(actor, keyResult, objectiveId, "");
        var old = ParentsOf(keyResultId) is [var first, ..] ? first : null;
        var newWeight = weight ?? old?.Weight ?? 1.0;
        List<StructureOp> ops = [.. ParentsOf(keyResultId).Select(e => new EdgeRemoved(e))];
        if (objectiveId is not null) ops.Add(new EdgeAdded(new Edge(objectiveId, keyResultId, newWeight)));
        return new Command(ops, Audit(actor, AuditActions.KeyResultMoved, keyResultId,
            new { objectiveId = old?.ParentId, weight = old?.Weight },
            new { objectiveId, weight = objectiveId is null ? (double?)null : newWeight }),
            [.. Objectives(objectiveId is null ? [] : [objectiveId]), (keyResultId, NodeKind.KeyResult),
             .. Objectives(old is null ? [] : [old.ParentId])]);
    });

    Task ICycleGrain.SetWeightAsync(string parentId, string childId, double weight, Actor? actor) => RunAsync(async () =>
    {
        EnsureOpen();
        Check.Weight("weight", weight);
        var edge = ParentsOf(childId).FirstOrDefault(e => e.ParentId == parentId)
            ?? throw OkrRejectedException.NotFound("childId", $"{childId} under {parentId}");
        // The weight is the parent's: how much this child counts in it.
        await EnsureMayChangeAsync(actor, _structure.Objectives[parentId].Owner, "objectiveId", "an objective");
        return new Command([new EdgeRemoved(edge), new EdgeAdded(edge with { Weight = weight })],
            Audit(actor, AuditActions.WeightChanged, childId, edge, edge with { Weight = weight }),
            [(parentId, NodeKind.Objective), (childId, KindOf(childId))]);
    });

    Task ICycleGrain.ApplyMovesAsync(ImmutableArray<PlanMove> moves, Actor? actor, string? scenarioId) => RunAsync(async () =>
    {
        EnsureOpen();
        if (moves.IsDefaultOrEmpty) throw OkrRejectedException.Invalid("moves", "there is nothing to apply.");
        // The moves are tried on a fork over the live indexes: the cost is the moves', not the cycle's.
        var graph = PlanGraph.Over(CycleId, _structure);
        var left = new List<string>();
        var joined = new List<string>();
        var subjects = new List<(string, NodeKind)>();
        for (int i = 0; i < moves.Length; i++)
        {
            try
            {
                // Each move needs what the same change made alone needs: a planner applies only what they may do.
                await EnsureMayMakeAsync(actor, moves[i], ""); // the catch below names the move
                var effect = graph.Apply(moves[i]);
                left.AddRange(effect.OldParents);
                joined.AddRange(effect.NewParents);
                subjects.Add((moves[i].SubjectId, KindOf(moves[i].SubjectId)));
            }
            catch (OkrRejectedException refusal)
            {
                throw new OkrRejectedException(refusal.Kind, $"moves[{i}].{refusal.Field}", refusal.Reason);
            }
        }
        var (removed, added) = graph.EdgeChanges();
        // As for single moves: new parents first, then the moved nodes, then the parents they left.
        return new Command([.. removed.Select(e => new EdgeRemoved(e)), .. added.Select(e => new EdgeAdded(e))],
            Audit(actor, AuditActions.MovesApplied, scenarioId, new { removed }, new { moves, added }),
            [.. Objectives(joined), .. subjects, .. Objectives(left)]);
    });

    // ---- Deletion ----------------------------------------------------------------------------------------

    Task ICycleGrain.DeleteAsync(string nodeId, bool detachChildren, Actor? actor) => RunAsync(async () =>
    {
        EnsureOpen();
        var kind = KindOf(nodeId);
        var owner = kind == NodeKind.Objective ? _structure.Objectives[nodeId].Owner : _structure.KeyResults[nodeId].Owner;
        await EnsureMayChangeAsync(actor, owner, kind == NodeKind.Objective ? "objectiveId" : "keyResultId",
            kind == NodeKind.Objective ? "an objective" : "a key result");
        var parents = ParentsOf(nodeId).Select(e => e.ParentId).ToList();
        var children = ChildrenOf(nodeId).Select(e => (e.ChildId, KindOf(e.ChildId))).ToList();
        if (children.Count > 0 && !detachChildren)
            throw OkrRejectedException.Conflict("detachChildren",
                $"'{nodeId}' still has {children.Count} child(ren); delete or move them first, or ask to detach them.");
        var kpiId = kind == NodeKind.KeyResult ? _structure.KeyResults[nodeId].KpiId : null;
        object definition = kind == NodeKind.Objective ? _structure.Objectives[nodeId] : _structure.KeyResults[nodeId];
        var removed = new { definition, parents = ParentsOf(nodeId).ToList(), children = ChildrenOf(nodeId).ToList() };
        List<StructureOp> ops = [.. ParentsOf(nodeId).Select(e => new EdgeRemoved(e)), .. ChildrenOf(nodeId).Select(e => new EdgeRemoved(e)),
            new NodeRemoved(nodeId, _structure.Objectives.GetValueOrDefault(nodeId), _structure.KeyResults.GetValueOrDefault(nodeId), _structure.Frozen.GetValueOrDefault(nodeId))];
        return new Command(ops,
            Audit(actor, kind == NodeKind.Objective ? AuditActions.ObjectiveDeleted : AuditActions.KeyResultDeleted, nodeId, removed, null),
            [(nodeId, kind), .. Objectives(parents), .. children],
            After: kpiId is null ? null : () => GrainFactory.GetGrain<IKpiGrain>(kpiId).UnlinkAsync(nodeId));
    });

    // ---- Permissions -------------------------------------------------------------------------------------

    private Task EnsureMayChangeAsync(Actor? actor, Owner owner, string field, string what) =>
        AccessChecks.EnsureMayChangeAsync(GrainFactory, _structure.CompanyId, actor, owner, field, what);

    /// <summary>Moving a key result changes it and the objective it joins (a key result is part of its objective).</summary>
    private async Task EnsureMayMoveAsync(Actor? actor, KeyResultDefinition keyResult, string? objectiveId, string prefix)
    {
        await EnsureMayChangeAsync(actor, keyResult.Owner, prefix + "keyResultId", "a key result");
        if (objectiveId is not null && _structure.Objectives.TryGetValue(objectiveId, out var target))
            await EnsureMayChangeAsync(actor, target.Owner, prefix + "objectiveId", "an objective");
    }

    /// <summary>A planner's move needs what the same single change needs.</summary>
    private async Task EnsureMayMakeAsync(Actor? actor, PlanMove move, string prefix)
    {
        if (actor is null) return;
        switch (move)
        {
            case MoveKeyResult m when _structure.KeyResults.TryGetValue(m.KeyResultId, out var kr):
                await EnsureMayMoveAsync(actor, kr, m.ObjectiveId, prefix);
                break;
            case RealignObjective m when _structure.Objectives.TryGetValue(m.ObjectiveId, out var o):
                await EnsureMayChangeAsync(actor, o.Owner, prefix + "objectiveId", "an objective");
                break;
            case ChangeWeight m when _structure.Objectives.TryGetValue(m.ParentId, out var parent):
                await EnsureMayChangeAsync(actor, parent.Owner, prefix + "parentId", "an objective");
                break;
                // Unknown ids are refused by the graph with their own reasons.
        }
    }

    // ---- Helpers -----------------------------------------------------------------------------------------

    /// <summary>
    /// What a validated command commits: its ops, its audit entry, the nodes to tell afterwards (in order), and an
    /// action to run once it is committed and told (linking a KPI).
    /// </summary>
    private readonly record struct Command(IEnumerable<StructureOp> Ops, PendingEntry? Entry, IReadOnlyList<(string, NodeKind)> Notify,
        Func<Task>? After = null, DateTimeOffset? EffectiveAt = null);

    /// <summary>
    /// Runs a command: validated and staged holding the gate (so it sees every earlier command's change), committed
    /// without it (so the next command validates meanwhile), then the affected nodes are told.
    /// </summary>
    private async Task RunAsync(Func<Task<Command>> validate)
    {
        Task committed;
        Command command;
        using (await EnterAsync())
        {
            command = await validate();
            committed = CommitAsync(command.Ops, command.Entry, command.Notify, command.EffectiveAt);
        }
        await committed;
        await NotifyAsync(command.Notify);
        if (command.After is { } after) await after();
    }

    private IReadOnlyList<Edge> ChildrenOf(string id) => _structure.ChildrenOf(id);
    private IReadOnlyList<Edge> ParentsOf(string id) => _structure.ParentsOf(id);

    private void EnsureOpen()
    {
        _ = Definition;
        if (_structure.Closed) throw OkrRejectedException.Conflict("cycleId", $"cycle '{CycleId}' is closed; reopen it to change it.");
    }

    /// <param name="next">Where the next search for a free id starts: past the one handed out (and the ids found taken
    /// before it), so a cycle whose nodes were imported as "o1", "o2", … does not walk them all again for each new node.</param>
    private string NewId(string? requested, string prefix, out long next)
    {
        next = _structure.NextId;
        if (requested is null)
        {
            string id;
            var n = _structure.NextId;
            do id = NodeIds.Compose(CycleId, $"{prefix}{n++}"); while (Exists(id));
            next = n;
            return id;
        }
        var wanted = NodeIds.Compose(CycleId, Check.Slug("id", requested));
        if (Exists(wanted)) throw OkrRejectedException.Conflict("id", $"'{wanted}' already exists.");
        return wanted;
    }

    private bool Exists(string id) => _structure.Objectives.ContainsKey(id) || _structure.KeyResults.ContainsKey(id);

    private NodeKind KindOf(string id) =>
        _structure.Objectives.ContainsKey(id) ? NodeKind.Objective
        : _structure.KeyResults.ContainsKey(id) ? NodeKind.KeyResult
        : throw OkrRejectedException.NotFound("nodeId", id);

    private ObjectiveDefinition ObjectiveOf(string field, string id) =>
        _structure.Objectives.GetValueOrDefault(id) ?? throw NotInThisCycle(field, id, "objective");

    private KeyResultDefinition KeyResultOf(string field, string id) =>
        _structure.KeyResults.GetValueOrDefault(id) ?? throw NotInThisCycle(field, id, "key result");

    private void EnsureObjectiveInThisCycle(string field, string id)
    {
        if (_structure.KeyResults.ContainsKey(id)) throw OkrRejectedException.Invalid(field, $"'{id}' is a key result; only objectives can be parents.");
        ObjectiveOf(field, id);
    }

    private OkrRejectedException NotInThisCycle(string field, string id, string what)
    {
        var other = NodeIds.CycleOf(id);
        return other is not null && other != CycleId
            ? OkrRejectedException.Invalid(field, $"'{id}' belongs to cycle '{other}', not '{CycleId}'; alignment stays within a cycle.")
            : OkrRejectedException.NotFound(field, id);
    }

    private Task EnsureOwnerAsync(Owner? owner) =>
        owner is null
            ? throw OkrRejectedException.Invalid("owner", "is required.")
            : GrainFactory.GetGrain<IOrganisationGrain>(_structure.CompanyId).EnsureOwnerAsync(owner);

    private async Task EnsureKpiAsync(string kpiId)
    {
        try { await GrainFactory.GetGrain<IKpiGrain>(kpiId).GetStateAsync(); }
        catch (OkrRejectedException) { throw OkrRejectedException.NotFound("kpiId", kpiId); }
    }
}
