using System.Runtime.InteropServices;
using OkrGrid.Model;

namespace OkrGrid.Domain.Scoring;

/// <summary>
/// Scores a whole cycle's graph at once from its definitions, edges and key-result inputs, with the same
/// <see cref="Rules"/> the grains use. It is the reference the tests compare the live grains with, the way a
/// closing cycle computes exact final grades, and the engine of the planner's simulations.
/// </summary>
public static class GraphScorer
{
    public static Dictionary<string, NodeScore> Score(
        IEnumerable<ObjectiveDefinition> objectives,
        IEnumerable<KeyResultDefinition> keyResults,
        IEnumerable<Edge> edges,
        Func<KeyResultDefinition, KeyResultInput> inputOf,
        double elapsed,
        ScoringPolicy policy)
    {
        var krScores = new Dictionary<string, NodeScore>();
        foreach (var kr in keyResults)
        {
            var input = inputOf(kr);
            krScores[kr.Id] = Rules.ScoreKeyResult(kr, input.Current, input.HasValue, input.Confidence, elapsed, policy);
        }
        return ScoreObjectives(objectives, edges, krScores, elapsed, policy);
    }

    /// <summary>
    /// Rolls given key-result scores up through the objectives. Returns the key results' and the objectives'
    /// scores together.
    /// </summary>
    public static Dictionary<string, NodeScore> ScoreObjectives(
        IEnumerable<ObjectiveDefinition> objectives,
        IEnumerable<Edge> edges,
        IReadOnlyDictionary<string, NodeScore> keyResultScores,
        double elapsed,
        ScoringPolicy policy)
    {
        var scores = new Dictionary<string, NodeScore>(keyResultScores);
        RollUp(objectives, edges, scores, elapsed, policy);
        return scores;
    }

    /// <summary>
    /// Rolls up in place: <paramref name="scores"/> holds the key results' scores (and objectives' scores to keep as
    /// they are) and receives every other objective's. For a whole large cycle (a scorecard as of an instant), where
    /// copying the scores once more is a noticeable part of the cost.
    /// </summary>
    public static void RollUp(
        IEnumerable<ObjectiveDefinition> objectives,
        IEnumerable<Edge> edges,
        Dictionary<string, NodeScore> scores,
        double elapsed,
        ScoringPolicy policy)
    {
        var objectivesById = new Dictionary<string, ObjectiveDefinition>(objectives.TryGetNonEnumeratedCount(out var count) ? count : 0);
        foreach (var o in objectives) objectivesById[o.Id] = o;
        var childrenOf = new Dictionary<string, List<Edge>>(objectivesById.Count);
        foreach (var e in edges)
        {
            if (!childrenOf.TryGetValue(e.ParentId, out var list)) childrenOf[e.ParentId] = list = new List<Edge>(2);
            list.Add(e);
        }
        var visiting = new HashSet<string>();
        // One buffer for every objective's contributions: an objective's are appended after its ancestors' (the
        // recursion is depth-first) and taken off again once it is scored — a whole cycle's roll-up allocates no list
        // per objective.
        var contributions = new List<Contribution>();

        NodeScore ScoreOf(ObjectiveDefinition o)
        {
            if (scores.TryGetValue(o.Id, out var done)) return done;
            if (!visiting.Add(o.Id)) throw new InvalidOperationException($"Alignment cycle through {o.Id}.");
            var from = contributions.Count;
            if (childrenOf.TryGetValue(o.Id, out var children))
                foreach (var e in children)
                {
                    var child = objectivesById.TryGetValue(e.ChildId, out var co) ? ScoreOf(co) : scores.GetValueOrDefault(e.ChildId);
                    if (child is null) continue;
                    contributions.Add(new Contribution(child.Kind, e.Weight, child.Progress, child.Confidence));
                }
            var s = Rules.ScoreObjective(o, CollectionsMarshal.AsSpan(contributions)[from..], elapsed, policy);
            contributions.RemoveRange(from, contributions.Count - from);
            visiting.Remove(o.Id);
            scores[o.Id] = s;
            return s;
        }

        foreach (var o in objectivesById.Values) ScoreOf(o);
    }
}
