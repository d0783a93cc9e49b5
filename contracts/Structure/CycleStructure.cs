using OkrGrid.Model;

namespace OkrGrid.Structure;

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
