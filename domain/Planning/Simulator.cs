using OkrGrid.Domain.Scoring;
using OkrGrid.Model;
using OkrGrid.Planning;
using OkrGrid.Validation;

namespace OkrGrid.Domain.Planning;

/// <summary>A simulation's result and the graphs before and after its valid moves.</summary>
/// <param name="Touched">The objectives whose children the valid moves changed (parents left and joined).</param>
/// <param name="Reparented">The objectives whose own parents or weights the valid moves changed.</param>
public sealed record SimulationRun(SimulationResult Result, PlanGraph Before, PlanGraph After,
    IReadOnlySet<string> Touched, IReadOnlySet<string> Reparented);

/// <summary>
/// Simulates moves on a snapshot of a cycle with the grains' own <see cref="Rules"/>: the moves are tried in order on
/// the snapshot's structure (invalid ones are reported and left out), then every objective on an old or a new chain of
/// a changed node — up to the company — is scored before and after, as of the snapshot's time, from the snapshot's
/// key-result scores. Only those objectives are scored, so one move on a 100k-node cycle costs its chains, not the
/// graph. Impacts are sorted by the size of the change.
/// </summary>
public static class Simulator
{
    public static SimulationResult Simulate(CycleSnapshot snapshot, IReadOnlyList<PlanMove> moves) => Run(snapshot, moves).Result;

    /// <summary>
    /// The simulation with the two graphs it built — the snapshot's and the one the valid moves left — for callers
    /// that go on to summarise them (alignment, influence) without building and moving them again.
    /// </summary>
    public static SimulationRun Run(CycleSnapshot snapshot, IReadOnlyList<PlanMove> moves) => Run(new PlanGraph(snapshot), snapshot, moves);

    /// <summary>
    /// The simulation on a graph already built from <paramref name="snapshot"/>: the moves go to a fork of it, so the
    /// graph can be built once per snapshot and every edit of the moves costs only what the moves touch.
    /// </summary>
    public static SimulationRun Run(PlanGraph before, CycleSnapshot snapshot, IReadOnlyList<PlanMove> moves)
    {
        var cycleId = snapshot.Cycle.Id;
        if (before.CycleId != cycleId) throw new ArgumentException($"The graph is of cycle '{before.CycleId}', the snapshot of '{cycleId}'.", nameof(before));
        if (snapshot.Cycle.Closed)
        {
            return new SimulationRun(new SimulationResult(cycleId, snapshot.TakenAt, [],
                [.. moves.Select((m, i) => new RejectedMove(i, m, "cycleId", $"cycle '{cycleId}' is closed; reopen it to change its alignment."))], 0),
                before, before, new HashSet<string>(), new HashSet<string>());
        }

        var after = before.Fork();
        var left = new HashSet<string>();
        var joined = new HashSet<string>();
        var reparented = new HashSet<string>();
        var rejected = ImmutableArray.CreateBuilder<RejectedMove>();
        for (int i = 0; i < moves.Count; i++)
        {
            try
            {
                var effect = after.Apply(moves[i]);
                left.UnionWith(effect.OldParents);
                joined.UnionWith(effect.NewParents);
                if (after.IsObjective(moves[i].SubjectId)) reparented.Add(moves[i].SubjectId);
            }
            catch (OkrRejectedException refusal) { rejected.Add(new RejectedMove(i, moves[i], refusal.Field, refusal.Reason)); }
        }

        // The old chain runs from the parents left up through the graph as it was; the new one from the parents joined
        // up through the graph as it will be. Either graph's ancestors of any touched parent may change.
        var oldChain = before.ObjectivesAbove(left);
        var newChain = after.ObjectivesAbove(joined);
        var touched = left.Union(joined).ToHashSet();
        var affected = before.ObjectivesAbove(touched);
        affected.UnionWith(after.ObjectivesAbove(touched));
        var elapsed = Rules.ExpectedProgress(snapshot.Cycle.Definition.Start, snapshot.Cycle.Definition.End, snapshot.TakenAt);
        var scoreBefore = new ChainScorer(before, snapshot, affected, elapsed);
        var scoreAfter = new ChainScorer(after, snapshot, affected, elapsed);

        var impacts = affected
            .Select(id => new NodeImpact(id, before.Objective(id)!.Title, scoreBefore.Score(id), scoreAfter.Score(id), oldChain.Contains(id), newChain.Contains(id)))
            .OrderByDescending(i => Math.Abs(i.Delta)).ThenByDescending(i => i.StatusChanged).ThenBy(i => i.NodeId, StringComparer.Ordinal)
            .ToImmutableArray();
        return new SimulationRun(new SimulationResult(cycleId, snapshot.TakenAt, impacts, rejected.ToImmutable(), moves.Count - rejected.Count),
            before, after, touched, reparented);
    }

    /// <summary>Scores the objectives of the chains from their children in one graph; everything else is the snapshot's.</summary>
    private sealed class ChainScorer(PlanGraph graph, CycleSnapshot snapshot, HashSet<string> chains, double elapsed)
    {
        private readonly Dictionary<string, NodeScore> _scores = [];

        public NodeScore Score(string id)
        {
            if (_scores.TryGetValue(id, out var done)) return done;
            if (!chains.Contains(id) || graph.Objective(id) is not { } objective)
                return snapshot.Scores.GetValueOrDefault(id) ?? Empty(id);
            var contributions = new List<Contribution>();
            foreach (var e in graph.ChildrenOf(id))
            {
                var child = graph.IsObjective(e.ChildId) ? Score(e.ChildId) : snapshot.Scores.GetValueOrDefault(e.ChildId);
                if (child is not null) contributions.Add(new Contribution(child.Kind, e.Weight, child.Progress, child.Confidence));
            }
            return _scores[id] = Rules.ScoreObjective(objective, contributions, elapsed, snapshot.Policy);
        }

        private static NodeScore Empty(string id) => new(id, NodeKind.Objective, 0, 0, 0, Status.NoData, null, true, null);
    }
}
