using OkrGrid.Model;

namespace OkrGrid.Structure;

/// <summary>
/// One primitive step of a structural change, stored in the cycle's log. Each op carries what undoing it needs
/// (the definition it replaced, the edge it removed), so a structure can be taken back to an earlier instant as well
/// as forward from a snapshot. Aliases are stored: never rename one.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.structure.op")]
public abstract record StructureOp;

/// <summary>The cycle came into being (its first change).</summary>
[GenerateSerializer, Immutable, Alias("okr.structure.defined")]
public sealed record CycleDefined(
    [property: Id(0)] string CompanyId,
    [property: Id(1)] CycleDefinition Definition,
    [property: Id(2)] ScoringPolicy Policy) : StructureOp;

/// <summary>An objective was created (<see cref="Before"/> null) or its own fields changed.</summary>
[GenerateSerializer, Immutable, Alias("okr.structure.objective")]
public sealed record ObjectivePut(
    [property: Id(0)] ObjectiveDefinition Objective,
    [property: Id(1)] ObjectiveDefinition? Before) : StructureOp;

/// <summary>A key result was created (<see cref="Before"/> null) or its own fields changed.</summary>
[GenerateSerializer, Immutable, Alias("okr.structure.key-result")]
public sealed record KeyResultPut(
    [property: Id(0)] KeyResultDefinition KeyResult,
    [property: Id(1)] KeyResultDefinition? Before) : StructureOp;

/// <summary>A node was deleted; its edges are removed by <see cref="EdgeRemoved"/> ops before this one.</summary>
[GenerateSerializer, Immutable, Alias("okr.structure.removed")]
public sealed record NodeRemoved(
    [property: Id(0)] string NodeId,
    [property: Id(1)] ObjectiveDefinition? Objective,
    [property: Id(2)] KeyResultDefinition? KeyResult,
    [property: Id(3)] NodeScore? Frozen) : StructureOp;

[GenerateSerializer, Immutable, Alias("okr.structure.edge-added")]
public sealed record EdgeAdded([property: Id(0)] Edge Edge) : StructureOp;

[GenerateSerializer, Immutable, Alias("okr.structure.edge-removed")]
public sealed record EdgeRemoved([property: Id(0)] Edge Edge) : StructureOp;

[GenerateSerializer, Immutable, Alias("okr.structure.policy")]
public sealed record PolicySet(
    [property: Id(0)] ScoringPolicy Policy,
    [property: Id(1)] ScoringPolicy Before) : StructureOp;

/// <summary>The cycle closed with every node's final grade.</summary>
[GenerateSerializer, Immutable, Alias("okr.structure.closed")]
public sealed record CycleClosed(
    [property: Id(0)] DateTimeOffset ClosedAt,
    [property: Id(1)] ImmutableArray<NodeScore> Frozen) : StructureOp;

/// <summary>The cycle reopened; carries the closing it undid.</summary>
[GenerateSerializer, Immutable, Alias("okr.structure.reopened")]
public sealed record CycleReopened(
    [property: Id(0)] DateTimeOffset? ClosedAt,
    [property: Id(1)] ImmutableArray<NodeScore> Frozen) : StructureOp;

/// <summary>The counter generated ids are taken from moved on.</summary>
[GenerateSerializer, Immutable, Alias("okr.structure.next-id")]
public sealed record NextIdSet(
    [property: Id(0)] long Next,
    [property: Id(1)] long Before) : StructureOp;

/// <summary>
/// One committed structural change: its place in the cycle's log (<see cref="Seq"/>, gapless from the cycle's first
/// change or its migration), the instant it takes effect (never earlier than the change before it), and its ops.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.structure.change")]
public sealed record StructureChange(
    [property: Id(0)] long Seq,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] ImmutableArray<StructureOp> Ops);

/// <summary>
/// A whole structure as stored in a snapshot row, and as handed to readers that replay changes from it (history).
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.structure.state")]
public sealed record CycleStructureState(
    [property: Id(0)] string CompanyId,
    [property: Id(1)] CycleDefinition? Definition,
    [property: Id(2)] ScoringPolicy Policy,
    [property: Id(3)] bool Closed,
    [property: Id(4)] DateTimeOffset? ClosedAt,
    [property: Id(5)] ImmutableArray<ObjectiveDefinition> Objectives,
    [property: Id(6)] ImmutableArray<KeyResultDefinition> KeyResults,
    [property: Id(7)] ImmutableArray<Edge> Edges,
    [property: Id(8)] ImmutableArray<NodeScore> Frozen,
    [property: Id(9)] long NextId,
    [property: Id(10)] long Seq,
    [property: Id(11)] DateTimeOffset At);

/// <summary>
/// What a history replays: the structure at an instant (<see cref="Base"/>) and every committed change after it, in
/// order, with the instant the cycle's structure was first recorded.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.structure.timeline")]
public sealed record StructureTimeline(
    [property: Id(0)] CycleStructureState Base,
    [property: Id(1)] ImmutableArray<StructureChange> Changes,
    [property: Id(2)] DateTimeOffset CreatedAt);
