using OkrGrid.Domain.Scoring;
using OkrGrid.Model;
using OkrGrid.Planning;

namespace OkrGrid.Domain.Planning;

/// <summary>
/// Influence of the nodes below an objective, from the weights along every path: a child's share of its parent is
/// its weight over the weights of the parent's counting children (<see cref="Rules.Counts"/>, zero weights out),
/// so the influence of a node is the sum over its paths of the product of the shares. Exact for progress strictly
/// inside [0, 1] (roll-up clamps a child's progress at the ends).
/// </summary>
public static class Influence
{
    /// <summary>Every node below <paramref name="objectiveId"/> (objectives and key results) with its influence on it.</summary>
    public static Dictionary<string, double> Below(PlanGraph graph, string objectiveId)
    {
        var order = TopDown(graph, objectiveId);
        var influence = new Dictionary<string, double> { [objectiveId] = 1.0 };
        foreach (var id in order)
        {
            var objective = graph.Objective(id)!;
            var counting = graph.ChildrenOf(id)
                .Where(e => e.Weight > 0 && Rules.Counts(objective.RollUp, graph.IsObjective(e.ChildId) ? NodeKind.Objective : NodeKind.KeyResult))
                .ToList();
            var total = counting.Sum(e => e.Weight);
            if (total <= 0) continue;
            var mine = influence.GetValueOrDefault(id);
            foreach (var e in counting)
                influence[e.ChildId] = influence.GetValueOrDefault(e.ChildId) + mine * e.Weight / total;
        }
        return influence;
    }

    /// <summary>The key results that move an objective most per unit of their own progress, largest first.</summary>
    public static ImmutableArray<KeyResultInfluence> Ranked(PlanGraph graph, string objectiveId, IReadOnlyDictionary<string, NodeScore> scores) =>
        [.. Below(graph, objectiveId)
            .Where(kv => kv.Value > 0 && graph.KeyResult(kv.Key) is not null)
            .Select(kv => graph.KeyResult(kv.Key)! is var kr
                ? new KeyResultInfluence(kr.Id, kr.Title, kr.Owner, kv.Value, scores.GetValueOrDefault(kr.Id)?.Progress ?? 0)
                : null!)
            .OrderByDescending(k => k.Influence).ThenBy(k => k.KeyResultId, StringComparer.Ordinal)];

    /// <summary>The objectives below <paramref name="root"/> (and it) so that every parent comes before its children.</summary>
    private static List<string> TopDown(PlanGraph graph, string root)
    {
        var below = new HashSet<string> { root };
        var stack = new Stack<string>([root]);
        while (stack.TryPop(out var id))
            foreach (var e in graph.ChildrenOf(id))
                if (graph.IsObjective(e.ChildId) && below.Add(e.ChildId)) stack.Push(e.ChildId);
        // Kahn's order on the sub-DAG: an objective is ready once all its parents within it are done.
        var pending = below.ToDictionary(id => id, id => graph.ParentsOf(id).Count(e => below.Contains(e.ParentId)));
        var ready = new Queue<string>(pending.Where(kv => kv.Value == 0).Select(kv => kv.Key));
        var order = new List<string>(below.Count);
        while (ready.TryDequeue(out var id))
        {
            order.Add(id);
            foreach (var e in graph.ChildrenOf(id))
                if (pending.ContainsKey(e.ChildId) && --pending[e.ChildId] == 0) ready.Enqueue(e.ChildId);
        }
        return order;
    }
}
