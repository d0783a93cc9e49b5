using OkrGrid.Planning;

namespace OkrGrid.Bench;

/// <summary>
/// The planner's input for figure 10: a cycle snapshot shaped like the one the engine serves, and random moves of
/// the two kinds planners make most — a key result handed to another team, a team objective re-aligned to another
/// department's objective. Every move it makes is valid on the organisation whatever earlier moves did (the targets
/// never sit below the subjects), so a simulation or an apply that refuses one is a failure, not noise.
/// </summary>
public sealed class PlannerMoves
{
    private readonly KeyResultDefinition[] _keyResults;
    /// <summary>Objectives of teams and their people: where a key result can be handed to.</summary>
    private readonly ObjectiveDefinition[] _teamLevel;
    /// <summary>Objectives owned by a team inside a department (aligned to department objectives).</summary>
    private readonly ObjectiveDefinition[] _teamObjectives;
    private readonly ObjectiveDefinition[] _departmentObjectives;
    private readonly Dictionary<string, string?> _parentTeam;
    private readonly Dictionary<string, string> _teamOfPerson;

    public PlannerMoves(SyntheticOrg org)
    {
        _parentTeam = org.Teams.ToDictionary(t => t.Id, t => t.ParentTeamId);
        _teamOfPerson = org.People.ToDictionary(p => p.Id, p => p.TeamId);
        _keyResults = [.. org.KeyResults];
        _teamLevel = [.. org.Objectives.Where(o => o.Owner.Kind != OwnerKind.Company && !IsDepartment(o.Owner))];
        _teamObjectives = [.. org.Objectives.Where(o => o.Owner.Kind == OwnerKind.Team && !IsDepartment(o.Owner))];
        _departmentObjectives = [.. org.Objectives.Where(IsDepartment)];
        if (_departmentObjectives.Select(o => o.Owner.Id).Distinct().Count() < 2 || _teamLevel.Select(o => TeamOf(o.Owner)).Distinct().Count() < 2)
            throw new ArgumentException($"An organisation of {org.NodeCount:N0} nodes has too few departments for the planner's moves; use 5k or more.");
    }

    private bool IsDepartment(ObjectiveDefinition o) => IsDepartment(o.Owner);
    private bool IsDepartment(Owner owner) => owner.Kind == OwnerKind.Team && _parentTeam[owner.Id] is null;

    private string? TeamOf(Owner owner) => owner.Kind switch
    {
        OwnerKind.Team => owner.Id,
        OwnerKind.Person => _teamOfPerson[owner.Id],
        _ => null,
    };

    /// <summary>A key result moved to an objective of another team (keeping its weight).</summary>
    public MoveKeyResult KeyResultToOtherTeam(Random rng)
    {
        var kr = _keyResults[rng.Next(_keyResults.Length)];
        var team = TeamOf(kr.Owner);
        while (true)
        {
            var target = _teamLevel[rng.Next(_teamLevel.Length)];
            if (TeamOf(target.Owner) != team) return new MoveKeyResult(kr.Id, target.Id);
        }
    }

    /// <summary>A team objective re-aligned to one objective of another department (replacing its parents).</summary>
    public RealignObjective TeamObjectiveToOtherDepartment(Random rng)
    {
        var objective = _teamObjectives[rng.Next(_teamObjectives.Length)];
        var department = _parentTeam[objective.Owner.Id];
        while (true)
        {
            var target = _departmentObjectives[rng.Next(_departmentObjectives.Length)];
            if (target.Owner.Id != department) return new RealignObjective(objective.Id, [new ParentLink(target.Id)]);
        }
    }

    /// <summary>
    /// <paramref name="count"/> moves, the two kinds taking turns; <paramref name="first"/> picks the kind that
    /// starts (so that single moves can alternate between the kinds over repetitions).
    /// </summary>
    public ImmutableArray<PlanMove> Set(int count, Random rng, int first = 0) =>
        [.. Enumerable.Range(first, count).Select(i => i % 2 == 0 ? (PlanMove)KeyResultToOtherTeam(rng) : TeamObjectiveToOtherDepartment(rng))];

    /// <summary>
    /// The snapshot the engine would serve for <paramref name="org"/> after a day of check-ins: its structure, and
    /// scores from <see cref="GraphScorer"/> (the engine's rules) with one check-in on nine key results in ten
    /// (values from the check-in workload) and a measurement on every KPI — so progress sits inside [0, 1] as in a
    /// live cycle, where roll-ups and influence are not trivial.
    /// </summary>
    public static CycleSnapshot EngineShapedSnapshot(SyntheticOrg org, DateTimeOffset now, int seed)
    {
        var ledger = new Ledger(BaselineFigures.BaseTime(org, now));
        var rng = new Random(seed + 10);
        foreach (var kr in org.KeyResults)
        {
            if (kr.Kind == KeyResultKind.KpiLinked || rng.NextDouble() >= 0.9) continue;
            var (stamp, _) = ledger.NextStamp();
            ledger.CheckInAcknowledged(kr.Id, stamp, CheckInWorkload.ValueFor(kr, rng), Math.Round(0.3 + 0.65 * rng.NextDouble(), 2));
        }
        foreach (var kpi in org.Kpis)
        {
            var (stamp, _) = ledger.NextStamp();
            ledger.MeasurementAcknowledged(kpi.Id, stamp, Math.Round(20 + 60 * rng.NextDouble(), 2));
        }
        var elapsed = Rules.ExpectedProgress(org.Cycle.Start, org.Cycle.End, now);
        var scores = GraphScorer.Score(org.Objectives, org.KeyResults, org.Edges, ledger.InputOf, elapsed, ScoringPolicy.Default);
        return new CycleSnapshot(new CycleInfo(org.Cycle, false, null), ScoringPolicy.Default, org.Objectives, org.KeyResults, org.Edges, scores, now);
    }

    /// <summary>The organisation as <see cref="IOrganisationGrain.GetAsync"/> gives it to the scenario grain (for alignment summaries).</summary>
    public static OrganisationView Organisation(SyntheticOrg org) =>
        new(org.CompanyId, "SynthCo", org.Teams, org.People, ScoringPolicy.Default, [new CycleInfo(org.Cycle, false, null)], []);
}
