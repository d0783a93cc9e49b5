namespace OkrGrid.Model;

[GenerateSerializer, Immutable, Alias("okr.model.key-result-definition")]
public sealed record KeyResultDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string CycleId,
    [property: Id(2)] string Title,
    [property: Id(3)] Owner Owner,
    [property: Id(4)] KeyResultKind Kind,
    [property: Id(5)] double Start,
    [property: Id(6)] double Target,
    [property: Id(7)] string Unit,
    [property: Id(8)] string? KpiId);

[GenerateSerializer, Immutable, Alias("okr.model.key-result-draft")]
public sealed record KeyResultDraft(
    [property: Id(0)] string Title,
    [property: Id(1)] Owner Owner,
    [property: Id(2)] KeyResultKind Kind,
    [property: Id(3)] double Start,
    [property: Id(4)] double Target,
    [property: Id(5)] string? ObjectiveId,
    [property: Id(6)] double Weight = 1.0,
    [property: Id(7)] string Unit = "",
    [property: Id(8)] string? KpiId = null,
    [property: Id(9)] string? Id = null);

[GenerateSerializer, Immutable, Alias("okr.model.key-result-edit")]
public sealed record KeyResultEdit(
    [property: Id(0)] string? Title = null,
    [property: Id(1)] Owner? Owner = null,
    [property: Id(2)] KeyResultKind? Kind = null,
    [property: Id(3)] double? Start = null,
    [property: Id(4)] double? Target = null,
    [property: Id(5)] string? Unit = null,
    [property: Id(6)] string? KpiId = null);

/// <summary>
/// A progress update on a key result. <see cref="ClientId"/> is chosen by the client so that a retry
/// with the same id is applied once. A <see cref="TraceId"/> (optional, not stored) rides up the cascade with the
/// change it causes, so the moment each ancestor reflects the check-in can be observed on the change feed.
/// <see cref="Author"/>, <see cref="AuthorId"/> and <see cref="Via"/> say who made it and through what; the engine
/// sets them from the <see cref="Access.Actor"/> that sends it, never from what a client writes.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.model.check-in")]
public sealed record CheckIn(
    [property: Id(0)] string ClientId,
    [property: Id(1)] double Value,
    [property: Id(2)] double? Confidence,
    [property: Id(3)] string Note,
    [property: Id(4)] string Author,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] string? TraceId = null,
    [property: Id(7)] string AuthorId = "",
    [property: Id(8)] string Via = "");

[GenerateSerializer, Immutable, Alias("okr.model.check-in-result")]
public sealed record CheckInResult(
    [property: Id(0)] bool Applied,
    [property: Id(1)] NodeScore Score);
