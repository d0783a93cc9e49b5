using System.Collections.Concurrent;

namespace OkrGrid.Grains;

/// <summary>
/// The latest published score of every node active in this silo, kept by the nodes themselves as they publish.
/// A cycle snapshot reads it instead of calling every node (100k grain calls); nodes that are not here — inactive,
/// or active on another silo — are still asked. Entries leave with their activation, so none is ever stale.
/// </summary>
public sealed class LocalScores
{
    private readonly ConcurrentDictionary<string, NodeScore> _scores = new();

    public void Set(NodeScore score) => _scores[score.NodeId] = score;

    public void Remove(string nodeId) => _scores.TryRemove(nodeId, out _);

    public bool TryGet(string nodeId, out NodeScore score) => _scores.TryGetValue(nodeId, out score!);
}
