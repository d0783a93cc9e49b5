using OkrGrid.Model;

namespace OkrGrid.Views;

/// <summary>Which part of a cycle's alignment tree to show; null shows everything.</summary>
[GenerateSerializer, Immutable, Alias("okr.views.alignment-filter")]
public sealed record AlignmentFilter(
    [property: Id(0)] string? TeamId = null,
    [property: Id(1)] Status? Status = null);

/// <summary>
/// An objective or key result in the alignment tree with its current score. A node aligned to several parents
/// appears under each of them; <see cref="ParentIds"/> lists them all.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.views.alignment-node")]
public sealed record AlignmentNode(
    [property: Id(0)] string Id,
    [property: Id(1)] NodeKind Kind,
    [property: Id(2)] string Title,
    [property: Id(3)] Owner Owner,
    [property: Id(4)] string OwnerName,
    [property: Id(5)] NodeScore? Score,
    [property: Id(6)] ImmutableArray<string> ParentIds,
    [property: Id(7)] ImmutableArray<AlignmentNode> Children);
