using System.Collections.Concurrent;

namespace OkrGrid.Engine;

/// <summary>
/// The latest published score of every node active in this silo, kept by the nodes themselves as they publish.
/// A cycle snapshot reads it instead of calling every node (100k grain calls); nodes that are not here — inactive,
/// or active on another silo — are still asked. Entries leave with their activation, so none is ever stale.
/// Active key results and KPIs also leave their durable facts (check-ins, measurements) here, so a scorecard as of a
/// past instant finds them in memory and asks the journal only for the others.
/// </summary>
public sealed class LocalScores
{
    private readonly ConcurrentDictionary<string, NodeScore> _scores = new();
    private readonly ConcurrentDictionary<string, CheckInTimeline> _checkIns = new();

    public void Set(NodeScore score) => _scores[score.NodeId] = score;

    /// <summary>
    /// A key result's durable check-ins or a KPI's measurements as a timeline (date, value, confidence in commit order),
    /// published from activation on (empty too: no fact yet is an answer). The timeline is immutable and the grain
    /// replaces it on every fact, so other threads may read it while the grain goes on.
    /// </summary>
    public void SetCheckIns(string nodeId, CheckInTimeline checkIns) => _checkIns[nodeId] = checkIns;

    public void Remove(string nodeId)
    {
        _scores.TryRemove(nodeId, out _);
        _checkIns.TryRemove(nodeId, out _);
    }

    public bool TryGet(string nodeId, out NodeScore score) => _scores.TryGetValue(nodeId, out score!);

    public bool TryGetCheckIns(string nodeId, out CheckInTimeline checkIns) => _checkIns.TryGetValue(nodeId, out checkIns!);
}
