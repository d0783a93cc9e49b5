using System.Collections.Concurrent;

namespace OkrGrid.Web.Live;

/// <summary>
/// One cycle as this host's dashboards see it: the structure (objectives, key results, weighted edges) as of its
/// last change — replaced as a whole when the cycle says its structure changed — and every node's latest score,
/// updated in place from the change feed. A score only ever moves forward in version.
/// </summary>
public sealed class CycleBoard
{
    private static readonly IReadOnlyList<Edge> NoEdges = [];
    private readonly ConcurrentDictionary<string, NodeScore> _scores;
    private readonly Dictionary<string, ObjectiveDefinition> _objectives;
    private readonly Dictionary<string, KeyResultDefinition> _keyResults;
    private readonly Dictionary<string, List<Edge>> _childrenOf;
    private readonly Dictionary<string, List<Edge>> _parentsOf;

    public CycleBoard(CycleSnapshot snapshot, CycleBoard? previous = null)
    {
        Snapshot = snapshot;
        _objectives = snapshot.Objectives.ToDictionary(o => o.Id);
        _keyResults = snapshot.KeyResults.ToDictionary(k => k.Id);
        _childrenOf = snapshot.Edges.GroupBy(e => e.ParentId).ToDictionary(g => g.Key, g => g.ToList());
        _parentsOf = snapshot.Edges.GroupBy(e => e.ChildId).ToDictionary(g => g.Key, g => g.ToList());
        var fromFacts = FromFactsVersion(snapshot);
        _scores = new ConcurrentDictionary<string, NodeScore>(snapshot.Scores.Select(kv =>
            KeyValuePair.Create(kv.Key, kv.Value.Version == 0 && fromFacts > 0 ? kv.Value with { Version = fromFacts } : kv.Value)));
        // Changes that arrived while the new snapshot was being read may be newer than what it holds.
        if (previous is not null)
            foreach (var (id, score) in previous._scores)
                if (_objectives.ContainsKey(id) || _keyResults.ContainsKey(id)) Apply(score);
    }

    /// <summary>How far the system clocks of different machines may disagree (versions are microseconds of a silo's clock).</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The version a score the cycle computed from facts stands at. Such a score (version 0: the node is not active in
    /// the cycle's silo) holds every fact committed before the snapshot read them, so it is newer than any score
    /// published before then (less the clocks' skew) and older than any published after. Without this a host kept a
    /// score whose last publication died with its silo — for good, until the node changed again — because version 0
    /// never replaced it. 0 (stays 0, replaces nothing) when the snapshot has no live facts: a closed cycle's frozen
    /// grades have nothing live to compete with.
    /// </summary>
    private static long FromFactsVersion(CycleSnapshot snapshot) =>
        snapshot.FactsVersion > (long)ClockSkew.TotalMicroseconds ? snapshot.FactsVersion - (long)ClockSkew.TotalMicroseconds : 0;

    public CycleSnapshot Snapshot { get; }
    public CycleInfo Cycle => Snapshot.Cycle;
    public ScoringPolicy Policy => Snapshot.Policy;
    public string CycleId => Snapshot.Cycle.Id;

    public IEnumerable<ObjectiveDefinition> Objectives => Snapshot.Objectives;
    public IEnumerable<KeyResultDefinition> KeyResults => Snapshot.KeyResults;

    public NodeScore? ScoreOf(string nodeId) => _scores.GetValueOrDefault(nodeId);
    public ObjectiveDefinition? Objective(string id) => _objectives.GetValueOrDefault(id);
    public KeyResultDefinition? KeyResult(string id) => _keyResults.GetValueOrDefault(id);
    public bool Contains(string nodeId) => _objectives.ContainsKey(nodeId) || _keyResults.ContainsKey(nodeId);

    /// <summary>The node's title, or null when the cycle has no such node.</summary>
    public string? TitleOf(string nodeId) => Objective(nodeId)?.Title ?? KeyResult(nodeId)?.Title;

    public IReadOnlyList<Edge> ChildrenOf(string objectiveId) => _childrenOf.GetValueOrDefault(objectiveId) ?? NoEdges;
    public IReadOnlyList<Edge> ParentsOf(string nodeId) => _parentsOf.GetValueOrDefault(nodeId) ?? NoEdges;

    /// <summary>Where the cycle's calendar says progress should be by <paramref name="now"/> (0..1).</summary>
    public double ExpectedProgress(DateTimeOffset now) => Rules.ExpectedProgress(Cycle.Definition.Start, Cycle.Definition.End, now);

    /// <summary>Takes a published score if it is newer than the one held; true when it was.</summary>
    public bool Apply(NodeScore score)
    {
        while (true)
        {
            if (!_scores.TryGetValue(score.NodeId, out var held))
            {
                if (_scores.TryAdd(score.NodeId, score)) return true;
                continue;
            }
            if (held.Version >= score.Version) return false;
            if (_scores.TryUpdate(score.NodeId, score, held)) return true;
        }
    }
}
