namespace OkrGrid.Planning;

[Alias("okr.planning.scenario-state")]
public enum ScenarioState { Open, Applied, Discarded }

/// <summary>What a planner gives to start a scenario.</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.scenario-draft")]
public sealed record ScenarioDraft(
    [property: Id(0)] string Name,
    [property: Id(1)] string CompanyId,
    [property: Id(2)] string CycleId,
    [property: Id(3)] string Author = "");

/// <summary>A named, durable set of proposed moves against one cycle.</summary>
/// <param name="Applied">Once applied: the simulation of its moves on the live graph just before they were applied —
/// what the live objectives were to converge to — kept with the scenario for the record.</param>
/// <param name="Revision">Counts the scenario's saved changes (name, moves, state): equal revisions, same scenario.</param>
[GenerateSerializer, Immutable, Alias("okr.planning.scenario-view")]
public sealed record ScenarioView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string CompanyId,
    [property: Id(3)] string CycleId,
    [property: Id(4)] string Author,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] ScenarioState State,
    [property: Id(7)] ImmutableArray<PlanMove> Moves,
    [property: Id(8)] DateTimeOffset? ClosedAt,
    [property: Id(9)] SimulationResult? Applied = null,
    [property: Id(10)] int Revision = 0,
    [property: Id(11)] string AuthorId = "");

/// <summary>A scenario's line in the catalogue.</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.scenario-summary")]
public sealed record ScenarioSummary(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string CycleId,
    [property: Id(3)] string Author,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] ScenarioState State,
    [property: Id(6)] int Moves);

/// <summary>
/// A scenario's simulated effect: per affected objective before/after, the moves left out with their reasons, the
/// alignment before and after — all computed on the snapshot taken at <see cref="SimulationResult.SnapshotTakenAt"/>.
/// <see cref="LiveChanged"/> says the live graph moved on since in a way that changes these numbers — another change of
/// the structure, or a check-in that reaches an objective shown or a moved node: simulate again to catch up.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.planning.scenario-impact")]
public sealed record ScenarioImpact(
    [property: Id(0)] ScenarioView Scenario,
    [property: Id(1)] SimulationResult Simulation,
    [property: Id(2)] AlignmentSummary AlignmentBefore,
    [property: Id(3)] AlignmentSummary AlignmentAfter,
    [property: Id(4)] bool LiveChanged);

/// <summary>For one objective, its key results ranked by influence (progress of the objective per unit of theirs).</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.sensitivity")]
public sealed record Sensitivity(
    [property: Id(0)] string ObjectiveId,
    [property: Id(1)] string Title,
    [property: Id(2)] ImmutableArray<KeyResultInfluence> Before,
    [property: Id(3)] ImmutableArray<KeyResultInfluence> After);
