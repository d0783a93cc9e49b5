using OkrGrid.Model;

namespace OkrGrid.Views;

/// <summary>
/// A node's score at one moment, as the engine's rules give it from the facts known then. <see cref="Expected"/> is
/// the expected-pace line the status is measured against; <see cref="Value"/> is a key result's current value (null
/// before its first check-in, and for objectives).
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.views.history-point")]
public sealed record HistoryPoint(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double Progress,
    [property: Id(2)] double Expected,
    [property: Id(3)] Status Status,
    [property: Id(4)] double? Value,
    [property: Id(5)] double? Confidence);

/// <summary>
/// One entry of a node's check-in log: a check-in of a key result in its subtree, or a measurement of the KPI
/// feeding a KPI-linked key result (confidence null). For a KPI's own history, <see cref="KeyResultId"/> and
/// <see cref="KeyResultTitle"/> are the KPI's id and name. <see cref="AuthorId"/> and <see cref="Via"/> are the check-in's
/// (e.g. "source:src_…" and "source:push" for one a data source wrote).
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.views.check-in-entry")]
public sealed record CheckInEntry(
    [property: Id(0)] string KeyResultId,
    [property: Id(1)] string KeyResultTitle,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] double Value,
    [property: Id(4)] double? Confidence,
    [property: Id(5)] string Note,
    [property: Id(6)] string Author,
    [property: Id(7)] string AuthorId = "",
    [property: Id(8)] string Via = "");

/// <summary>
/// How a node's progress developed over its cycle: points in time order, and the check-in log newest first.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.views.node-history")]
public sealed record NodeHistory(
    [property: Id(0)] string NodeId,
    [property: Id(1)] NodeKind Kind,
    [property: Id(2)] string Title,
    [property: Id(3)] DateTimeOffset CycleStart,
    [property: Id(4)] DateTimeOffset CycleEnd,
    [property: Id(5)] ImmutableArray<HistoryPoint> Points,
    [property: Id(6)] ImmutableArray<CheckInEntry> CheckIns);
