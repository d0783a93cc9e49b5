namespace OkrGrid.Model;

/// <summary>
/// Health thresholds: with higher-is-better a value at or above <see cref="Green"/> is green, at or above
/// <see cref="Yellow"/> yellow, else red; with lower-is-better the comparisons flip.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.model.kpi-thresholds")]
public sealed record KpiThresholds(
    [property: Id(0)] double Green,
    [property: Id(1)] double Yellow);

[GenerateSerializer, Immutable, Alias("okr.model.kpi-definition")]
public sealed record KpiDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Unit,
    [property: Id(3)] Direction Direction,
    [property: Id(4)] KpiThresholds Thresholds,
    [property: Id(5)] double Baseline,
    [property: Id(6)] Owner Owner);

[GenerateSerializer, Immutable, Alias("okr.model.measurement")]
public sealed record Measurement(
    [property: Id(0)] string ClientId,
    [property: Id(1)] double Value,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string Note = "",
    [property: Id(4)] string Author = "",
    [property: Id(5)] string AuthorId = "",
    [property: Id(6)] string Via = "");

[GenerateSerializer, Immutable, Alias("okr.model.measurement-result")]
public sealed record MeasurementResult(
    [property: Id(0)] bool Applied,
    [property: Id(1)] KpiState State);

/// <summary>A KPI's derived state from its latest measurement.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.kpi-state")]
public sealed record KpiState(
    [property: Id(0)] string KpiId,
    [property: Id(1)] long Version,
    [property: Id(2)] double? Latest,
    [property: Id(3)] DateTimeOffset? LatestAt,
    [property: Id(4)] Health Health,
    [property: Id(5)] bool BelowBaseline);

[GenerateSerializer, Immutable, Alias("okr.model.kpi-view")]
public sealed record KpiView(
    [property: Id(0)] KpiDefinition Definition,
    [property: Id(1)] KpiState State,
    [property: Id(2)] ImmutableArray<string> LinkedKeyResults,
    [property: Id(3)] ImmutableArray<Measurement> Recent);
