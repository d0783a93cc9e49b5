using OkrGrid.Model;
using OkrGrid.Planning;

namespace OkrGrid.Domain.Planning;

/// <summary>
/// What a scenario simulates on, built once per snapshot: the snapshot, its graph and (on first use) its alignment.
/// Every edit of the moves then simulates on a fork of the graph and works out the alignment after from the index, so
/// it costs what the moves touch — not two whole-graph builds and two whole-graph alignments per edit. Not thread-safe:
/// one owner (a scenario grain) at a time.
/// </summary>
public sealed class PlanBasis(CycleSnapshot snapshot, OrganisationView organisation)
{
    private readonly Dictionary<string, ImmutableArray<KeyResultInfluence>> _rankedBefore = [];
    private AlignmentIndex? _alignment;

    public CycleSnapshot Snapshot { get; } = snapshot;
    public OrganisationView Organisation { get; } = organisation;
    public PlanGraph Graph { get; } = new(snapshot);
    public AlignmentIndex Alignment => _alignment ??= new AlignmentIndex(Graph, Organisation);

    public SimulationRun Run(IReadOnlyList<PlanMove> moves) => Simulator.Run(Graph, Snapshot, moves);

    /// <summary>
    /// An objective's key results ranked by influence before and after a simulation's moves. The ranking before is kept
    /// per objective; after, it is worked out again only when the moves changed the objective's sub-graph (it is then
    /// among the simulation's impacts) — otherwise it is the one before.
    /// </summary>
    /// <exception cref="OkrGrid.Validation.OkrRejectedException">No such objective in the cycle.</exception>
    public Sensitivity Sensitivity(string objectiveId, SimulationRun run)
    {
        var objective = Graph.Objective(objectiveId) ?? throw OkrGrid.Validation.OkrRejectedException.NotFound("objectiveId", objectiveId);
        if (!_rankedBefore.TryGetValue(objectiveId, out var before))
            _rankedBefore[objectiveId] = before = Influence.Ranked(Graph, objectiveId, Snapshot.Scores);
        var after = run.Result.Impacts.Any(i => i.NodeId == objectiveId) ? Influence.Ranked(run.After, objectiveId, Snapshot.Scores) : before;
        return new Sensitivity(objectiveId, objective.Title, before, after);
    }

    /// <summary>The simulation of the moves and the alignment before and after them.</summary>
    public (SimulationRun Run, AlignmentSummary Before, AlignmentSummary After) Impact(IReadOnlyList<PlanMove> moves)
    {
        var run = Run(moves);
        return (run, Alignment.Before, Alignment.After(run));
    }
}
