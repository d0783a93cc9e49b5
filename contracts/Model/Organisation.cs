namespace OkrGrid.Model;

/// <summary>Who owns an objective or key result: the company, a team or a person.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.owner")]
public sealed record Owner([property: Id(0)] OwnerKind Kind, [property: Id(1)] string Id)
{
    public static Owner Company(string companyId) => new(OwnerKind.Company, companyId);
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Id}";
}

[GenerateSerializer, Immutable, Alias("okr.model.team")]
public sealed record Team(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string? ParentTeamId);

[GenerateSerializer, Immutable, Alias("okr.model.person")]
public sealed record Person(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string TeamId);

[GenerateSerializer, Immutable, Alias("okr.model.organisation-view")]
public sealed record OrganisationView(
    [property: Id(0)] string CompanyId,
    [property: Id(1)] string CompanyName,
    [property: Id(2)] ImmutableArray<Team> Teams,
    [property: Id(3)] ImmutableArray<Person> People,
    [property: Id(4)] ScoringPolicy Policy,
    [property: Id(5)] ImmutableArray<CycleInfo> Cycles,
    [property: Id(6)] ImmutableArray<KpiSummary> Kpis);

[GenerateSerializer, Immutable, Alias("okr.model.kpi-summary")]
public sealed record KpiSummary(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name);
