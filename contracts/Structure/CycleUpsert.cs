using OkrGrid.Model;

namespace OkrGrid.Structure;

/// <summary>
/// An import's structural part, applied by the cycle as one change (one log row: all or none). Each listed objective and
/// key result is created, or replaced when its id exists; each listed node ends with exactly the parent edges in
/// <see cref="Edges"/> whose child it is (none: aligned to nothing) — so a node can move and a weight change.
/// Nodes not listed are left as they are: an upsert never deletes. <see cref="Policy"/> (null: unchanged) sets the
/// cycle's scoring policy. <see cref="Summary"/> goes into the audit entry (what else the import adds: check-ins, KPIs).
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.structure.cycle-upsert")]
public sealed record CycleUpsert(
    [property: Id(0)] ImmutableArray<ObjectiveDefinition> Objectives,
    [property: Id(1)] ImmutableArray<KeyResultDefinition> KeyResults,
    [property: Id(2)] ImmutableArray<Edge> Edges,
    [property: Id(3)] ScoringPolicy? Policy = null,
    [property: Id(4)] string Summary = "");
