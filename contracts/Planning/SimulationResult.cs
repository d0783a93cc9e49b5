using OkrGrid.Model;

namespace OkrGrid.Planning;

/// <summary>One objective a simulation touches: its score before and after the moves.</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.node-impact")]
public sealed record NodeImpact(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string Title,
    [property: Id(2)] NodeScore Before,
    [property: Id(3)] NodeScore After,
    [property: Id(4)] bool OnOldChain,
    [property: Id(5)] bool OnNewChain)
{
    public double Delta => After.Progress - Before.Progress;
    public bool StatusChanged => Before.Status != After.Status;
}

[GenerateSerializer, Immutable, Alias("okr.planning.simulation-result")]
public sealed record SimulationResult(
    [property: Id(0)] string CycleId,
    [property: Id(1)] DateTimeOffset SnapshotTakenAt,
    [property: Id(2)] ImmutableArray<NodeImpact> Impacts,
    [property: Id(3)] ImmutableArray<RejectedMove> Rejected,
    [property: Id(4)] int AppliedMoves);
