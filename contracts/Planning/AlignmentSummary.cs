namespace OkrGrid.Planning;

/// <summary>The share of a company objective's progress that comes from one team's key results (with its sub-teams' people).</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.team-share")]
public sealed record TeamShare(
    [property: Id(0)] string? TeamId,
    [property: Id(1)] string Name,
    [property: Id(2)] double Share);

/// <summary>
/// A company objective's contributors — the objectives whose progress moves it — and the share of its progress each
/// team's key results make. Contributors are counted, not listed: on a large cycle they are thousands, and what a
/// planner needs is how many, which teams, and which objectives the moves add or take away.
/// </summary>
/// <param name="Joined">After moves: the objectives that start contributing to it (empty in a summary of one graph).</param>
/// <param name="Left">After moves: the objectives that stop contributing to it.</param>
[GenerateSerializer, Immutable, Alias("okr.planning.company-objective-alignment")]
public sealed record CompanyObjectiveAlignment(
    [property: Id(0)] string ObjectiveId,
    [property: Id(1)] string Title,
    [property: Id(2)] int Contributors,
    [property: Id(3)] ImmutableArray<TeamShare> TeamShares,
    [property: Id(4)] ImmutableArray<string> Joined,
    [property: Id(5)] ImmutableArray<string> Left);

/// <summary>How well a cycle's objectives are aligned: before or after a scenario's moves.</summary>
/// <param name="AlignedShare">Of the objectives not owned by the company, the share with a path up to a company objective.</param>
/// <param name="Orphans">Objectives not owned by the company and aligned to nothing.</param>
[GenerateSerializer, Immutable, Alias("okr.planning.alignment-summary")]
public sealed record AlignmentSummary(
    [property: Id(0)] double AlignedShare,
    [property: Id(1)] ImmutableArray<string> Orphans,
    [property: Id(2)] ImmutableArray<CompanyObjectiveAlignment> CompanyObjectives);
