using System.Collections.Concurrent;

namespace OkrGrid.Grains;

/// <summary>
/// The latest published score of every node active in this silo, kept by the nodes themselves as they publish.
/// A cycle snapshot reads it instead of calling every node (100k grain calls); nodes that are not here — inactive,
/// or active on another silo — are still asked. Entries leave with their activation, so none is ever stale.
/// Active key results also leave their durable check-ins here, so a scorecard as of a past instant finds their facts
/// in memory and asks the journal only for the others.
/// </summary>
public sealed class LocalScores
{
    private readonly ConcurrentDictionary<string, NodeScore> _scores = new();
    private readonly ConcurrentDictionary<string, CheckIn[]> _checkIns = new();

    public void Set(NodeScore score) => _scores[score.NodeId] = score;

    /// <summary>
    /// A key result's durable check-ins, in the order they were committed. The array is the grain's own, which it
    /// replaces on every check-in and never changes afterwards, so other threads may read it while the grain goes on.
    /// </summary>
    public void SetCheckIns(string keyResultId, CheckIn[] checkIns) => _checkIns[keyResultId] = checkIns;

    public void Remove(string nodeId)
    {
        _scores.TryRemove(nodeId, out _);
        _checkIns.TryRemove(nodeId, out _);
    }

    public bool TryGet(string nodeId, out NodeScore score) => _scores.TryGetValue(nodeId, out score!);

    public bool TryGetCheckIns(string keyResultId, out CheckIn[] checkIns) => _checkIns.TryGetValue(keyResultId, out checkIns!);
}
