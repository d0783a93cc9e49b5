namespace OkrGrid.Model;

[GenerateSerializer, Immutable, Alias("okr.model.objective-definition")]
public sealed record ObjectiveDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string CycleId,
    [property: Id(2)] string Title,
    [property: Id(3)] string Description,
    [property: Id(4)] Owner Owner,
    [property: Id(5)] RollUpMode RollUp);

/// <summary>What a caller gives to create an objective; the id is generated when null.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.objective-draft")]
public sealed record ObjectiveDraft(
    [property: Id(0)] string Title,
    [property: Id(1)] Owner Owner,
    [property: Id(2)] string Description = "",
    [property: Id(3)] RollUpMode RollUp = RollUpMode.KeyResultsAndObjectives,
    [property: Id(4)] ImmutableArray<ParentLink> Parents = default,
    [property: Id(5)] string? Id = null);

/// <summary>An edit of an objective's own fields; null leaves a field as it is.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.objective-edit")]
public sealed record ObjectiveEdit(
    [property: Id(0)] string? Title = null,
    [property: Id(1)] string? Description = null,
    [property: Id(2)] Owner? Owner = null,
    [property: Id(3)] RollUpMode? RollUp = null);

/// <summary>An alignment of a child to a parent objective, with the weight the child carries there.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.parent-link")]
public sealed record ParentLink(
    [property: Id(0)] string ParentId,
    [property: Id(1)] double Weight = 1.0);

/// <summary>A child as its parent objective sees it.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.child-link")]
public sealed record ChildLink(
    [property: Id(0)] string Id,
    [property: Id(1)] NodeKind Kind,
    [property: Id(2)] double Weight,
    [property: Id(3)] string Title);
