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
}
