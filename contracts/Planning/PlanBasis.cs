using OkrGrid.Model;

namespace OkrGrid.Planning;

/// <summary>
/// What a scenario simulates on, built once per snapshot: the snapshot, its graph and (on first use) its alignment.
/// Every edit of the moves then simulates on a fork of the graph and works out the alignment after from the index, so
/// it costs what the moves touch — not two whole-graph builds and two whole-graph alignments per edit.
/// </summary>
public sealed class PlanBasis(CycleSnapshot snapshot, OrganisationView organisation)
{
    private AlignmentIndex? _alignment;

    public CycleSnapshot Snapshot { get; } = snapshot;
    public OrganisationView Organisation { get; } = organisation;
    public PlanGraph Graph { get; } = new(snapshot);
    public AlignmentIndex Alignment => _alignment ??= new AlignmentIndex(Graph, Organisation);

    public SimulationRun Run(IReadOnlyList<PlanMove> moves) => Simulator.Run(Graph, Snapshot, moves);

    /// <summary>The simulation of the moves and the alignment before and after them.</summary>
    public (SimulationRun Run, AlignmentSummary Before, AlignmentSummary After) Impact(IReadOnlyList<PlanMove> moves)
    {
        var run = Run(moves);
        return (run, Alignment.Before, Alignment.After(run));
    }
}
