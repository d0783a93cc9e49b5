namespace OkrGrid.Workload;

/// <summary>
/// A synthetic organisation with one cycle's whole graph, shaped like a real company: a handful of company
/// objectives, departments, teams of 5–9 people, 2–4 objectives per department, team and person with 3–5 key
/// results each, about one objective in ten aligned to two parents, KPIs feeding some key results. Ids are full
/// node ids ("{cycleId}:{local}"). The same instance drives the engine, the SQL peer, the in-memory limit and the
/// reference scorer.
/// </summary>
public sealed record SyntheticOrg(
    string CompanyId,
    CycleDefinition Cycle,
    ImmutableArray<Team> Teams,
    ImmutableArray<Person> People,
    ImmutableArray<KpiDefinition> Kpis,
    ImmutableArray<ObjectiveDefinition> Objectives,
    ImmutableArray<KeyResultDefinition> KeyResults,
    ImmutableArray<Edge> Edges)
{
    public int NodeCount => Objectives.Length + KeyResults.Length;

    /// <summary>The company objectives: the roots every check-in flows up to.</summary>
    public IEnumerable<ObjectiveDefinition> Roots => Objectives.Where(o => o.Owner.Kind == OwnerKind.Company);

    /// <summary>
    /// The same organisation as company <paramref name="companyId"/>: the same teams, people, KPIs and graph, with the
    /// company owner renamed (the engine checks that a company owner is the organisation it is imported into).
    /// </summary>
    public SyntheticOrg AsCompany(string companyId)
    {
        Owner Map(Owner o) => o.Kind == OwnerKind.Company ? Owner.Company(companyId) : o;
        return this with
        {
            CompanyId = companyId,
            Kpis = [.. Kpis.Select(k => k with { Owner = Map(k.Owner) })],
            Objectives = [.. Objectives.Select(o => o with { Owner = Map(o.Owner) })],
            KeyResults = [.. KeyResults.Select(k => k with { Owner = Map(k.Owner) })],
        };
    }
}
