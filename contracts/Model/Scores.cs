using System.Text.Json.Serialization;

namespace OkrGrid.Model;

/// <summary>
/// A node's derived score as published to its parents and on the change feed. <see cref="Version"/> grows
/// with every change of the node's score or status, across activations too. <see cref="Traces"/> lists the
/// traced check-ins this publication is the first to reflect (usually none).
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.model.node-score")]
public sealed record NodeScore(
    [property: Id(0)] string NodeId,
    [property: Id(1)] NodeKind Kind,
    [property: Id(2)] long Version,
    [property: Id(3)] double Progress,
    [property: Id(4)] double RawProgress,
    [property: Id(5)] Status Status,
    [property: Id(6)] double? Confidence,
    [property: Id(7)] bool NoData,
    [property: Id(8)] double? Grade,
    [property: Id(9)] double? Value = null,
    [property: Id(10)] string[]? Traces = null)
{
    /// <summary>True when the two scores differ in anything a reader sees (the version aside).</summary>
    public bool SameAs(NodeScore other) =>
        Progress.Equals(other.Progress) && RawProgress.Equals(other.RawProgress) && Status == other.Status
        && Nullable.Equals(Confidence, other.Confidence) && NoData == other.NoData && Nullable.Equals(Grade, other.Grade)
        && Nullable.Equals(Value, other.Value);
}

/// <summary>One published change of a node's score or status (or of a KPI's state).</summary>
[GenerateSerializer, Immutable, Alias("okr.model.node-change")]
public sealed record NodeChange(
    [property: Id(0)] string NodeId,
    [property: Id(1)] NodeKind Kind,
    [property: Id(2)] string? CycleId,
    [property: Id(3)] long Version,
    [property: Id(4)] NodeScore? Score,
    [property: Id(5)] KpiState? Kpi,
    [property: Id(6)] DateTimeOffset At);

[GenerateSerializer, Immutable, Alias("okr.model.child-summary")]
public sealed record ChildSummary(
    [property: Id(0)] ChildLink Link,
    [property: Id(1)] NodeScore? Score);

[GenerateSerializer, Immutable, Alias("okr.model.objective-view")]
public sealed record ObjectiveView(
    [property: Id(0)] ObjectiveDefinition Definition,
    [property: Id(1)] NodeScore Score,
    [property: Id(2)] ImmutableArray<string> Parents,
    [property: Id(3)] ImmutableArray<ChildSummary> Children,
    [property: Id(4)] double ExpectedProgress);

[GenerateSerializer, Immutable, Alias("okr.model.key-result-view")]
public sealed record KeyResultView(
    [property: Id(0)] KeyResultDefinition Definition,
    [property: Id(1)] NodeScore Score,
    [property: Id(2)] string? ObjectiveId,
    [property: Id(3)] double Weight,
    [property: Id(4)] double Current,
    [property: Id(5)] double ExpectedProgress,
    [property: Id(6)] int CheckInCount);

/// <summary>An edge of the alignment graph: a child counted in a parent objective with a weight.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.edge")]
public sealed record Edge(
    [property: Id(0)] string ParentId,
    [property: Id(1)] string ChildId,
    [property: Id(2)] double Weight);

/// <summary>
/// A whole cycle's graph with every node's current score, for dashboards and the planner. <see cref="Scores"/> is
/// built once for the snapshot and not changed after (a plain dictionary: an immutable one of 100k entries costs
/// more to build than the rest of the snapshot). <see cref="StructureVersion"/> is the cycle's structure version when it
/// was taken (<see cref="OkrGrid.Grains.ICycleGrain.GetStructureVersionAsync"/>): a planner compares it to tell whether the
/// structure moved on since. <see cref="FactsVersion"/> is the version clock (microseconds of the system clock, as node
/// versions are) read just before the facts were: a score the cycle computed from facts (version 0, its node not active
/// in the cycle's silo) holds every fact committed before it; 0 when the scores are not live ones (a past instant, a
/// closed cycle's frozen grades). It is engine plumbing between a cycle and the boards, not part of the API's JSON.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.model.cycle-snapshot")]
public sealed record CycleSnapshot(
    [property: Id(0)] CycleInfo Cycle,
    [property: Id(1)] ScoringPolicy Policy,
    [property: Id(2)] ImmutableArray<ObjectiveDefinition> Objectives,
    [property: Id(3)] ImmutableArray<KeyResultDefinition> KeyResults,
    [property: Id(4)] ImmutableArray<Edge> Edges,
    [property: Id(5)] IReadOnlyDictionary<string, NodeScore> Scores,
    [property: Id(6)] DateTimeOffset TakenAt,
    [property: Id(7)] long StructureVersion = 0,
    [property: Id(8), JsonIgnore] long FactsVersion = 0);
