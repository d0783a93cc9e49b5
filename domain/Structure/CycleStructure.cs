using OkrGrid.Model;
using OkrGrid.Structure;

namespace OkrGrid.Domain.Structure;

/// <summary>
/// A cycle's structure in memory — definitions, alignment edges indexed both ways, policy, closing — changed only by
/// <see cref="StructureOp"/>s, each in time proportional to its own size (never to the cycle's). The cycle grain keeps
/// the live one; time travel and history replay copies of it backwards and forwards through the log. Pure.
/// </summary>
public sealed class CycleStructure
{
    private static readonly List<Edge> NoEdges = [];
    internal readonly Dictionary<string, ObjectiveDefinition> _objectives;
    internal readonly Dictionary<string, KeyResultDefinition> _keyResults;
    internal readonly Dictionary<string, List<Edge>> _childrenOf;
    internal readonly Dictionary<string, List<Edge>> _parentsOf;
    private readonly Dictionary<string, NodeScore> _frozen;

    public CycleStructure()
    {
        _objectives = [];
        _keyResults = [];
        _childrenOf = [];
        _parentsOf = [];
        _frozen = [];
    }

    private CycleStructure(CycleStructure other)
    {
        CompanyId = other.CompanyId; Definition = other.Definition; Policy = other.Policy; Closed = other.Closed;
        ClosedAt = other.ClosedAt; NextId = other.NextId; Seq = other.Seq; At = other.At; EdgeCount = other.EdgeCount;
        _objectives = new(other._objectives);
        _keyResults = new(other._keyResults);
        _frozen = new(other._frozen);
        _childrenOf = new(other._childrenOf.Count);
        foreach (var (k, v) in other._childrenOf) _childrenOf[k] = [.. v];
        _parentsOf = new(other._parentsOf.Count);
        foreach (var (k, v) in other._parentsOf) _parentsOf[k] = [.. v];
    }

    public string CompanyId { get; private set; } = "";
    public CycleDefinition? Definition { get; private set; }
    public ScoringPolicy Policy { get; private set; } = ScoringPolicy.Default;
    public bool Closed { get; private set; }
    public DateTimeOffset? ClosedAt { get; private set; }
    public long NextId { get; private set; } = 1;

    /// <summary>The log sequence of the last change applied (0: none).</summary>
    public long Seq { get; private set; }

    /// <summary>When the last change applied took effect.</summary>
    public DateTimeOffset At { get; private set; }

    public int EdgeCount { get; private set; }
    public int NodeCount => _objectives.Count + _keyResults.Count;

    public IReadOnlyDictionary<string, ObjectiveDefinition> Objectives => _objectives;
    public IReadOnlyDictionary<string, KeyResultDefinition> KeyResults => _keyResults;
    public IReadOnlyDictionary<string, NodeScore> Frozen => _frozen;
    public IReadOnlyList<Edge> ChildrenOf(string id) => _childrenOf.GetValueOrDefault(id) ?? NoEdges;
    public IReadOnlyList<Edge> ParentsOf(string id) => _parentsOf.GetValueOrDefault(id) ?? NoEdges;

    /// <summary>Every edge, grouped by parent.</summary>
    public IEnumerable<Edge> Edges => _childrenOf.Values.SelectMany(l => l);

    public bool Exists(string id) => _objectives.ContainsKey(id) || _keyResults.ContainsKey(id);

    /// <summary>
    /// True when <paramref name="ancestor"/> is <paramref name="id"/> or above it through any chain of parents — walking
    /// up, so the cost is the ancestors', not the subtree's.
    /// </summary>
    public bool IsAtOrBelow(string id, string ancestor)
    {
        if (id == ancestor) return true;
        var seen = new HashSet<string>();
        var stack = new Stack<string>([id]);
        while (stack.TryPop(out var n))
            foreach (var e in ParentsOf(n))
            {
                if (e.ParentId == ancestor) return true;
                if (seen.Add(e.ParentId)) stack.Push(e.ParentId);
            }
        return false;
    }

    public CycleStructure Clone() => new(this);

    // ---- Changes -----------------------------------------------------------------------------------------

    /// <summary>Applies a committed change (its ops in order).</summary>
    /// <exception cref="InvalidDataException">An op does not fit this structure (a log that does not belong to it).</exception>
    public void Apply(StructureChange change)
    {
        foreach (var op in change.Ops) Apply(op);
        Seq = change.Seq;
        At = change.At;
    }

    /// <summary>Takes a change back (its ops in reverse); the structure is then as before it, stamped <paramref name="at"/>.</summary>
    public void Undo(StructureChange change, DateTimeOffset at)
    {
        for (int i = change.Ops.Length - 1; i >= 0; i--) Undo(change.Ops[i]);
        Seq = change.Seq - 1;
        At = at;
    }

    public void Apply(StructureOp op)
    {
        switch (op)
        {
            case CycleDefined d:
                Expect(Definition is null, op, "the cycle is defined already");
                CompanyId = d.CompanyId; Definition = d.Definition; Policy = d.Policy;
                break;
            case ObjectivePut p:
                Expect(p.Before is null ? !Exists(p.Objective.Id) : _objectives.ContainsKey(p.Objective.Id), op, "the objective is not as the op expects");
                _objectives[p.Objective.Id] = p.Objective;
                break;
            case KeyResultPut p:
                Expect(p.Before is null ? !Exists(p.KeyResult.Id) : _keyResults.ContainsKey(p.KeyResult.Id), op, "the key result is not as the op expects");
                _keyResults[p.KeyResult.Id] = p.KeyResult;
                break;
            case NodeRemoved r:
                Expect(Exists(r.NodeId) && ParentsOf(r.NodeId).Count == 0 && ChildrenOf(r.NodeId).Count == 0, op, "the node is missing or still has edges");
                _objectives.Remove(r.NodeId);
                _keyResults.Remove(r.NodeId);
                _frozen.Remove(r.NodeId);
                _childrenOf.Remove(r.NodeId);
                _parentsOf.Remove(r.NodeId);
                break;
            case EdgeAdded a:
                Expect(_objectives.ContainsKey(a.Edge.ParentId) && Exists(a.Edge.ChildId) && !HasEdge(a.Edge.ParentId, a.Edge.ChildId), op, "the edge's ends are missing or it exists");
                AddEdge(a.Edge);
                break;
            case EdgeRemoved r:
                Expect(RemoveEdge(r.Edge), op, "the edge is not there");
                break;
            case PolicySet p:
                Policy = p.Policy;
                break;
            case CycleClosed c:
                Expect(!Closed, op, "the cycle is closed already");
                Closed = true; ClosedAt = c.ClosedAt;
                _frozen.Clear();
                foreach (var s in c.Frozen) _frozen[s.NodeId] = s;
                break;
            case CycleReopened:
                Expect(Closed, op, "the cycle is not closed");
                Closed = false; ClosedAt = null;
                _frozen.Clear();
                break;
            case NextIdSet n:
                NextId = n.Next;
                break;
            default:
                throw new InvalidDataException($"unknown structure op {op?.GetType().Name ?? "null"}");
        }
    }

    private void Undo(StructureOp op)
    {
        switch (op)
        {
            case CycleDefined:
                CompanyId = ""; Definition = null; Policy = ScoringPolicy.Default;
                break;
            case ObjectivePut p:
                if (p.Before is null) _objectives.Remove(p.Objective.Id); else _objectives[p.Before.Id] = p.Before;
                break;
            case KeyResultPut p:
                if (p.Before is null) _keyResults.Remove(p.KeyResult.Id); else _keyResults[p.Before.Id] = p.Before;
                break;
            case NodeRemoved r:
                if (r.Objective is not null) _objectives[r.NodeId] = r.Objective;
                if (r.KeyResult is not null) _keyResults[r.NodeId] = r.KeyResult;
                if (r.Frozen is not null) _frozen[r.NodeId] = r.Frozen;
                break;
            case EdgeAdded a:
                RemoveEdge(a.Edge);
                break;
            case EdgeRemoved r:
                AddEdge(r.Edge);
                break;
            case PolicySet p:
                Policy = p.Before;
                break;
            case CycleClosed:
                Closed = false; ClosedAt = null; _frozen.Clear();
                break;
            case CycleReopened r:
                Closed = true; ClosedAt = r.ClosedAt;
                foreach (var s in r.Frozen) _frozen[s.NodeId] = s;
                break;
            case NextIdSet n:
                NextId = n.Before;
                break;
        }
    }

    private static void Expect(bool condition, StructureOp op, string what)
    {
        if (!condition) throw new InvalidDataException($"{op.GetType().Name} does not apply: {what}.");
    }

    private bool HasEdge(string parentId, string childId)
    {
        foreach (var e in ParentsOf(childId)) if (e.ParentId == parentId) return true;
        return false;
    }

    private void AddEdge(Edge e)
    {
        // Lists start with room for one edge: nearly every node has one parent, and a list of four held a hundred
        // thousand empty slots in a large cycle.
        (_childrenOf.TryGetValue(e.ParentId, out var c) ? c : _childrenOf[e.ParentId] = new(1)).Add(e);
        (_parentsOf.TryGetValue(e.ChildId, out var p) ? p : _parentsOf[e.ChildId] = new(1)).Add(e);
        EdgeCount++;
    }

    private bool RemoveEdge(Edge e)
    {
        if (!_childrenOf.TryGetValue(e.ParentId, out var c) || !c.Remove(e)) return false;
        if (c.Count == 0) _childrenOf.Remove(e.ParentId);
        if (_parentsOf.TryGetValue(e.ChildId, out var p))
        {
            p.Remove(e);
            if (p.Count == 0) _parentsOf.Remove(e.ChildId);
        }
        EdgeCount--;
        return true;
    }

    // ---- Shared instances --------------------------------------------------------------------------------
    // Every node repeats a few values — the cycle's id, its owner, its unit and KPI — and every edge names two nodes.
    // Decoded from the log (each row on its own), from a snapshot written before values were shared, or sent by a
    // client as JSON, each copy is an object of its own: at 100k nodes, megabytes of equal strings and owners held for
    // as long as the cycle is. The live structure keeps one instance of each. Only instances change, never values: a
    // change made canonical is equal, op by op, to the change it was made from, and applies the same.

    private Dictionary<Owner, Owner>? _owners;
    private Dictionary<string, string>? _words;

    /// <summary>
    /// <paramref name="change"/> with the values it repeats replaced by the instances this structure holds (or, for
    /// nodes it creates, by the instances it brings); the same change when nothing needs replacing. Apply what it
    /// returns, and keep that: the change given may hold the only other copies.
    /// </summary>
    public StructureChange Canonical(StructureChange change)
    {
        StructureOp[]? ops = null;
        Dictionary<string, string>? created = null;
        for (int i = 0; i < change.Ops.Length; i++)
        {
            var op = change.Ops[i];
            var shared = Canonical(op, ref created);
            if (ReferenceEquals(shared, op)) continue;
            ops ??= [.. change.Ops];
            ops[i] = shared;
        }
        return ops is null ? change : change with { Ops = [.. ops] };
    }

    /// <summary>
    /// Makes the whole structure share its repeated values, as <see cref="Canonical(StructureChange)"/> does for one
    /// change: for a structure read from a snapshot (a snapshot written from shared values decodes shared, so this
    /// only replaces anything in one written before).
    /// </summary>
    public void ShareRepeatedValues()
    {
        const Dictionary<string, string>? none = null;
        foreach (var o in _objectives.Values.ToList())
            if (Shared(o, o.Id) is var s && !ReferenceEquals(s, o)) _objectives[o.Id] = s;
        foreach (var k in _keyResults.Values.ToList())
            if (Shared(k, k.Id) is var s && !ReferenceEquals(s, k)) _keyResults[k.Id] = s;
        foreach (var f in _frozen.Values.ToList())
            if (Shared(f, none) is var s && !ReferenceEquals(s, f))
            {
                _frozen.Remove(f.NodeId); // the key is the copy too
                _frozen[s.NodeId] = s;
            }
        // An edge is in two lists, under keys that are its ends' ids: rebuilt when any edge or key is a copy.
        var copies = false;
        foreach (var (id, list) in _childrenOf)
        {
            copies |= !ReferenceEquals(id, IdOf(id, none));
            foreach (var e in list) copies |= !ReferenceEquals(Shared(e, none), e);
        }
        foreach (var id in _parentsOf.Keys) copies |= !ReferenceEquals(id, IdOf(id, none));
        if (!copies) return;
        var edges = Edges.ToList();
        _childrenOf.Clear();
        _parentsOf.Clear();
        EdgeCount = 0;
        foreach (var e in edges) AddEdge(Shared(e, none));
    }

    private StructureOp Canonical(StructureOp op, ref Dictionary<string, string>? created)
    {
        switch (op)
        {
            case ObjectivePut p:
                {
                    var current = _objectives.GetValueOrDefault(p.Objective.Id);
                    var objective = Shared(p.Objective, current?.Id ?? Created(p.Objective.Id, ref created));
                    var before = current is not null && current.Equals(p.Before) ? current : p.Before;
                    return ReferenceEquals(objective, p.Objective) && ReferenceEquals(before, p.Before) ? op : new ObjectivePut(objective, before);
                }
            case KeyResultPut p:
                {
                    var current = _keyResults.GetValueOrDefault(p.KeyResult.Id);
                    var keyResult = Shared(p.KeyResult, current?.Id ?? Created(p.KeyResult.Id, ref created));
                    var before = current is not null && current.Equals(p.Before) ? current : p.Before;
                    return ReferenceEquals(keyResult, p.KeyResult) && ReferenceEquals(before, p.Before) ? op : new KeyResultPut(keyResult, before);
                }
            case NodeRemoved r:
                {
                    // What a removal carries for its undo is what the structure holds now.
                    var id = IdOf(r.NodeId, created);
                    var objective = _objectives.GetValueOrDefault(r.NodeId) is { } o && o.Equals(r.Objective) ? o : r.Objective;
                    var keyResult = _keyResults.GetValueOrDefault(r.NodeId) is { } k && k.Equals(r.KeyResult) ? k : r.KeyResult;
                    var frozen = _frozen.GetValueOrDefault(r.NodeId) is { } f && f.Equals(r.Frozen) ? f : r.Frozen;
                    return ReferenceEquals(id, r.NodeId) && ReferenceEquals(objective, r.Objective) && ReferenceEquals(keyResult, r.KeyResult)
                        && ReferenceEquals(frozen, r.Frozen) ? op : new NodeRemoved(id, objective, keyResult, frozen);
                }
            case EdgeAdded a:
                return Shared(a.Edge, created) is var added && ReferenceEquals(added, a.Edge) ? op : new EdgeAdded(added);
            case EdgeRemoved r:
                {
                    var edge = Shared(r.Edge, created);
                    foreach (var e in ParentsOf(r.Edge.ChildId))
                        if (e.Equals(r.Edge)) { edge = e; break; }
                    return ReferenceEquals(edge, r.Edge) ? op : new EdgeRemoved(edge);
                }
            case PolicySet p:
                return Policy.Equals(p.Before) && !ReferenceEquals(Policy, p.Before) ? p with { Before = Policy } : op;
            case CycleClosed c:
                return Shared(c.Frozen, created) is var grades && grades == c.Frozen ? op : c with { Frozen = grades };
            case CycleReopened r:
                return Shared(r.Frozen, created) is var undone && undone == r.Frozen ? op : r with { Frozen = undone };
            default:
                return op;
        }
    }

    private ObjectiveDefinition Shared(ObjectiveDefinition o, string id)
    {
        var (cycleId, owner, description) = (CycleIdOf(o.CycleId), Shared(o.Owner), o.Description is "" ? "" : o.Description);
        return ReferenceEquals(id, o.Id) && ReferenceEquals(cycleId, o.CycleId) && ReferenceEquals(owner, o.Owner) && ReferenceEquals(description, o.Description)
            ? o : o with { Id = id, CycleId = cycleId, Owner = owner, Description = description };
    }

    private KeyResultDefinition Shared(KeyResultDefinition k, string id)
    {
        var (cycleId, owner, unit, kpiId) = (CycleIdOf(k.CycleId), Shared(k.Owner), Word(k.Unit), Word(k.KpiId));
        return ReferenceEquals(id, k.Id) && ReferenceEquals(cycleId, k.CycleId) && ReferenceEquals(owner, k.Owner)
            && ReferenceEquals(unit, k.Unit) && ReferenceEquals(kpiId, k.KpiId)
            ? k : k with { Id = id, CycleId = cycleId, Owner = owner, Unit = unit!, KpiId = kpiId };
    }

    private Edge Shared(Edge e, Dictionary<string, string>? created)
    {
        var (parentId, childId) = (IdOf(e.ParentId, created), IdOf(e.ChildId, created));
        return ReferenceEquals(parentId, e.ParentId) && ReferenceEquals(childId, e.ChildId) ? e : e with { ParentId = parentId, ChildId = childId };
    }

    private NodeScore Shared(NodeScore s, Dictionary<string, string>? created)
    {
        var id = IdOf(s.NodeId, created);
        return ReferenceEquals(id, s.NodeId) ? s : s with { NodeId = id };
    }

    /// <summary>Grades with shared node ids; those equal to a grade held now (what a reopening undoes) are that grade.</summary>
    private ImmutableArray<NodeScore> Shared(ImmutableArray<NodeScore> scores, Dictionary<string, string>? created)
    {
        if (scores.IsDefault) return scores;
        NodeScore[]? shared = null;
        for (int i = 0; i < scores.Length; i++)
        {
            var s = scores[i];
            var held = s is null ? null : _frozen.GetValueOrDefault(s.NodeId);
            var one = s is null ? s : held is not null && held.Equals(s) ? held : Shared(s, created);
            if (ReferenceEquals(one, s)) continue;
            shared ??= [.. scores];
            shared[i] = one!;
        }
        return shared is null ? scores : [.. shared];
    }

    private Owner Shared(Owner owner)
    {
        if (owner is null) return owner!; // not in a valid op; left for Apply and the grain to meet as it is
        _owners ??= [];
        if (_owners.TryGetValue(owner, out var shared)) return shared;
        _owners[owner] = owner;
        return owner;
    }

    /// <summary>One instance of each unit and KPI id (few distinct values, each in many key results).</summary>
    private string? Word(string? word)
    {
        if (word is null) return null;
        if (word.Length == 0) return "";
        _words ??= [];
        if (_words.TryGetValue(word, out var shared)) return shared;
        _words[word] = word;
        return word;
    }

    private string CycleIdOf(string cycleId) => Definition?.Id is { } id && id == cycleId ? id : cycleId;

    /// <summary>The instance of a node's id its definition holds (here, or created earlier in the same change).</summary>
    private string IdOf(string id, Dictionary<string, string>? created) =>
        _objectives.TryGetValue(id, out var o) ? o.Id
        : _keyResults.TryGetValue(id, out var k) ? k.Id
        : created is not null && created.TryGetValue(id, out var c) ? c
        : id;

    private static string Created(string id, ref Dictionary<string, string>? created)
    {
        created ??= [];
        if (created.TryGetValue(id, out var first)) return first;
        created[id] = id;
        return id;
    }

    // ---- Stored form -------------------------------------------------------------------------------------

    public CycleStructureState ToState() => new(CompanyId, Definition, Policy, Closed, ClosedAt,
        [.. _objectives.Values], [.. _keyResults.Values], [.. Edges], [.. _frozen.Values], NextId, Seq, At);

    /// <exception cref="InvalidDataException">The state does not hold together (an edge to a missing node).</exception>
    public static CycleStructure FromState(CycleStructureState state)
    {
        var s = new CycleStructure
        {
            CompanyId = state.CompanyId, Definition = state.Definition, Policy = state.Policy, Closed = state.Closed,
            ClosedAt = state.ClosedAt, NextId = state.NextId, Seq = state.Seq, At = state.At,
        };
        foreach (var o in state.Objectives) s._objectives[o.Id] = o;
        foreach (var k in state.KeyResults) s._keyResults[k.Id] = k;
        foreach (var e in state.Edges) s.Apply(new EdgeAdded(e));
        foreach (var f in state.Frozen) s._frozen[f.NodeId] = f;
        return s;
    }

    /// <summary>A structure built from whole parts (a legacy single-row state), stamped with its log position.</summary>
    public static CycleStructure FromParts(string companyId, CycleDefinition? definition, ScoringPolicy policy, bool closed,
        DateTimeOffset? closedAt, IEnumerable<ObjectiveDefinition> objectives, IEnumerable<KeyResultDefinition> keyResults,
        IEnumerable<Edge> edges, IEnumerable<NodeScore> frozen, long nextId, long seq, DateTimeOffset at) =>
        FromState(new CycleStructureState(companyId, definition, policy, closed, closedAt, [.. objectives], [.. keyResults],
            [.. edges], [.. frozen], nextId, seq, at));
}
