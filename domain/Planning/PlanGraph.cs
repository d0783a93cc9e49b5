using OkrGrid.Domain.Structure;
using OkrGrid.Domain.Validation;
using OkrGrid.Model;
using OkrGrid.Planning;
using OkrGrid.Validation;

namespace OkrGrid.Domain.Planning;

/// <summary>What a move did to the alignment: the parents its subject left and the parents it (now) counts in.</summary>
public sealed record MoveEffect(IReadOnlyList<string> OldParents, IReadOnlyList<string> NewParents);

/// <summary>
/// A cycle's alignment structure that moves are tried on, one after another, each validated against the graph as
/// the earlier valid moves left it — the same rules the cycle grain enforces: parents are objectives of this cycle,
/// never the node itself, never one of its descendants (no loops, also through multiple parents), weights finite
/// and non-negative, ids known. A refused move changes nothing.
/// </summary>
public sealed class PlanGraph
{
    private static readonly IReadOnlyList<Edge> NoEdges = [];
    private readonly string _cycleId;
    private readonly Dictionary<string, ObjectiveDefinition> _objectives;
    private readonly Dictionary<string, KeyResultDefinition> _keyResults;
    // A fork sees its base's edge lists and keeps its own copy of each list it changes: a simulation on a 100k-node
    // graph then costs the nodes its moves touch, not a copy of the graph. The base must not change under its forks.
    private readonly PlanGraph? _base;
    private readonly Dictionary<string, List<Edge>> _childrenOf;
    private readonly Dictionary<string, List<Edge>> _parentsOf;
    private bool _hasForks;

    public PlanGraph(CycleSnapshot snapshot) : this(snapshot.Cycle.Id, snapshot.Objectives, snapshot.KeyResults, snapshot.Edges) { }

    public PlanGraph(string cycleId, IEnumerable<ObjectiveDefinition> objectives, IEnumerable<KeyResultDefinition> keyResults, IEnumerable<Edge> edges)
    {
        _cycleId = cycleId;
        _objectives = objectives.ToDictionary(o => o.Id);
        _keyResults = keyResults.ToDictionary(k => k.Id);
        _childrenOf = new Dictionary<string, List<Edge>>(_objectives.Count);
        _parentsOf = new Dictionary<string, List<Edge>>(_objectives.Count + _keyResults.Count);
        foreach (var e in edges) Add(e);
    }

    /// <summary>
    /// A graph over a live structure's own indexes, without copying them: moves go to <see cref="Fork"/>s, which copy
    /// only the lists they change, so trying moves on a 1M-node cycle costs the moves. The structure must not change
    /// while such a graph is in use.
    /// </summary>
    public static PlanGraph Over(string cycleId, CycleStructure structure) =>
        new PlanGraph(cycleId, structure._objectives, structure._keyResults, structure._childrenOf, structure._parentsOf).Fork();

    private PlanGraph(string cycleId, Dictionary<string, ObjectiveDefinition> objectives, Dictionary<string, KeyResultDefinition> keyResults,
        Dictionary<string, List<Edge>> childrenOf, Dictionary<string, List<Edge>> parentsOf)
    {
        _cycleId = cycleId;
        _objectives = objectives;
        _keyResults = keyResults;
        _childrenOf = childrenOf;
        _parentsOf = parentsOf;
    }

    /// <summary>The edges a fork's moves removed from and added to its base (empty for a graph that is no fork).</summary>
    public (IReadOnlyList<Edge> Removed, IReadOnlyList<Edge> Added) EdgeChanges()
    {
        var removed = new List<Edge>();
        var added = new List<Edge>();
        if (_base is null) return (removed, added);
        foreach (var (childId, now) in _parentsOf)
        {
            var before = _base.Lookup(childId, children: false);
            removed.AddRange(before.Where(e => !now.Contains(e)));
            added.AddRange(now.Where(e => !before.Contains(e)));
        }
        return (removed, added);
    }

    private PlanGraph(PlanGraph source)
    {
        _cycleId = source._cycleId;
        _objectives = source._objectives;
        _keyResults = source._keyResults;
        _base = source;
        _childrenOf = [];
        _parentsOf = [];
    }

    /// <summary>
    /// A graph that starts as this one and takes moves without changing it. This graph takes no more moves after.
    /// </summary>
    public PlanGraph Fork()
    {
        _hasForks = true;
        return new PlanGraph(this);
    }

    public string CycleId => _cycleId;
    public IReadOnlyList<Edge> ChildrenOf(string id) => Lookup(id, children: true);
    public IReadOnlyList<Edge> ParentsOf(string id) => Lookup(id, children: false);
    public IEnumerable<Edge> Edges => _objectives.Keys.SelectMany(ChildrenOf);
    public bool IsObjective(string id) => _objectives.ContainsKey(id);
    public ObjectiveDefinition? Objective(string id) => _objectives.GetValueOrDefault(id);
    public KeyResultDefinition? KeyResult(string id) => _keyResults.GetValueOrDefault(id);
    public IEnumerable<ObjectiveDefinition> Objectives => _objectives.Values;
    public IEnumerable<KeyResultDefinition> KeyResults => _keyResults.Values;
    public int ObjectiveCount => _objectives.Count;

    /// <summary>Applies the move if it is valid; returns the parents the subject left and the ones it joined.</summary>
    /// <exception cref="OkrRejectedException">The move is invalid; the graph is unchanged.</exception>
    public MoveEffect Apply(PlanMove move)
    {
        if (_hasForks) throw new InvalidOperationException("This graph has forks that see its edges; apply moves to a fork.");
        return ApplyMove(move);
    }

    private MoveEffect ApplyMove(PlanMove move) => move switch
    {
        MoveKeyResult m => Apply(m),
        RealignObjective r => Apply(r),
        ChangeWeight w => Apply(w),
        null => throw OkrRejectedException.Invalid("move", "must not be null."),
        _ => throw OkrRejectedException.Invalid("move", $"unknown kind {move.GetType().Name}."),
    };

    private MoveEffect Apply(MoveKeyResult move)
    {
        if (!_keyResults.ContainsKey(move.KeyResultId)) throw Missing("keyResultId", move.KeyResultId, "key result");
        EnsureObjective("objectiveId", move.ObjectiveId);
        if (move.Weight is { } w) Check.Weight("weight", w);
        var old = ParentsOf(move.KeyResultId) is [var first, ..] ? first : null;
        if (old?.ParentId == move.ObjectiveId && (move.Weight is null || move.Weight == old.Weight))
            throw OkrRejectedException.Invalid("objectiveId", $"'{move.KeyResultId}' is already under '{move.ObjectiveId}'.");
        var weight = move.Weight ?? old?.Weight ?? 1.0;
        if (old is not null) Remove(old);
        Add(new Edge(move.ObjectiveId, move.KeyResultId, weight));
        return new MoveEffect(old is null ? [] : [old.ParentId], [move.ObjectiveId]);
    }

    private MoveEffect Apply(RealignObjective move)
    {
        if (!_objectives.ContainsKey(move.ObjectiveId)) throw Missing("objectiveId", move.ObjectiveId, "objective");
        var parents = move.Parents.IsDefault ? [] : move.Parents;
        var descendants = Descendants(move.ObjectiveId);
        var seen = new HashSet<string>();
        for (int i = 0; i < parents.Length; i++)
        {
            var field = $"parents[{i}]";
            var p = parents[i] ?? throw OkrRejectedException.Invalid(field, "must not be null.");
            Check.Weight($"{field}.weight", p.Weight);
            if (p.ParentId == move.ObjectiveId) throw OkrRejectedException.Invalid($"{field}.parentId", "an objective cannot align to itself.");
            EnsureObjective($"{field}.parentId", p.ParentId);
            if (descendants.Contains(p.ParentId))
                throw OkrRejectedException.Conflict($"{field}.parentId",
                    $"'{p.ParentId}' is aligned under '{move.ObjectiveId}'; aligning '{move.ObjectiveId}' to it would make a loop.");
            if (!seen.Add(p.ParentId)) throw OkrRejectedException.Invalid($"{field}.parentId", $"'{p.ParentId}' is listed twice.");
        }
        var old = ParentsOf(move.ObjectiveId).ToList();
        foreach (var e in old) Remove(e);
        foreach (var p in parents) Add(new Edge(p.ParentId, move.ObjectiveId, p.Weight));
        return new MoveEffect([.. old.Select(e => e.ParentId)], [.. parents.Select(p => p.ParentId)]);
    }

    private MoveEffect Apply(ChangeWeight move)
    {
        Check.Weight("weight", move.Weight);
        var edge = ParentsOf(move.ChildId).FirstOrDefault(e => e.ParentId == move.ParentId)
            ?? throw OkrRejectedException.NotFound("childId", $"{move.ChildId} under {move.ParentId}");
        Remove(edge);
        Add(edge with { Weight = move.Weight });
        return new MoveEffect([move.ParentId], [move.ParentId]);
    }

    /// <summary>Every objective above the given nodes (through any parent), the nodes' own objectives included.</summary>
    public HashSet<string> ObjectivesAbove(IEnumerable<string> ids)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>(ids.Where(_objectives.ContainsKey));
        foreach (var id in stack) seen.Add(id);
        while (stack.TryPop(out var id))
            foreach (var e in ParentsOf(id))
                if (seen.Add(e.ParentId)) stack.Push(e.ParentId);
        return seen;
    }

    private HashSet<string> Descendants(string objectiveId)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([objectiveId]);
        while (stack.TryPop(out var id))
            foreach (var e in ChildrenOf(id))
                if (_objectives.ContainsKey(e.ChildId) && seen.Add(e.ChildId)) stack.Push(e.ChildId);
        return seen;
    }

    private void EnsureObjective(string field, string id)
    {
        if (_keyResults.ContainsKey(id)) throw OkrRejectedException.Invalid(field, $"'{id}' is a key result; only objectives can be parents.");
        if (!_objectives.ContainsKey(id)) throw Missing(field, id, "objective");
    }

    private OkrRejectedException Missing(string field, string id, string what)
    {
        var other = NodeIds.CycleOf(id);
        return other is not null && other != _cycleId
            ? OkrRejectedException.Invalid(field, $"'{id}' belongs to cycle '{other}', not '{_cycleId}'; alignment stays within a cycle.")
            : OkrRejectedException.NotFound(field, id);
    }

    private IReadOnlyList<Edge> Lookup(string id, bool children)
    {
        for (var g = this; g is not null; g = g._base)
            if ((children ? g._childrenOf : g._parentsOf).TryGetValue(id, out var edges)) return edges;
        return NoEdges;
    }

    /// <summary>This graph's own list of the node's edges, copied from the base the first time a fork changes it.</summary>
    private List<Edge> Own(Dictionary<string, List<Edge>> index, string id, bool children)
    {
        if (index.TryGetValue(id, out var own)) return own;
        return index[id] = _base is null ? [] : [.. _base.Lookup(id, children)];
    }

    private void Add(Edge e)
    {
        Own(_childrenOf, e.ParentId, children: true).Add(e);
        Own(_parentsOf, e.ChildId, children: false).Add(e);
    }

    private void Remove(Edge e)
    {
        Own(_childrenOf, e.ParentId, children: true).Remove(e);
        Own(_parentsOf, e.ChildId, children: false).Remove(e);
    }
}
