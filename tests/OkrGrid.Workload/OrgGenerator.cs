namespace OkrGrid.Workload;

/// <summary>Deterministic (seeded) generator of <see cref="SyntheticOrg"/>s of a given size.</summary>
public static class OrgGenerator
{
    public const string CompanyId = "synthco";
    public const int CompanyObjectives = 4;

    /// <summary>Parses "1k", "10k", "100k", "1m" or a plain number of nodes.</summary>
    public static int ParseSize(string size)
    {
        var s = size.Trim().ToLowerInvariant();
        var factor = s.EndsWith('k') ? 1_000 : s.EndsWith('m') ? 1_000_000 : 1;
        if (factor != 1) s = s[..^1];
        return int.TryParse(s, out var n) && n > 0 ? n * factor : throw new ArgumentException($"Not an organisation size: '{size}'.");
    }

    /// <summary>
    /// Generates an organisation of about <paramref name="nodes"/> objectives and key results (teams are added
    /// until the count is reached, so it may exceed it by one team's worth).
    /// </summary>
    public static SyntheticOrg Generate(int nodes, int seed, CycleDefinition cycle)
    {
        var b = new Builder(new Random(seed), cycle);
        b.Build(nodes);
        return b.ToOrg();
    }

    /// <summary>The cycle the generator uses by default: the quarter around <paramref name="now"/>.</summary>
    public static CycleDefinition QuarterAround(DateTimeOffset now, string id = "bench")
    {
        var start = new DateTimeOffset(now.Year, (now.Month - 1) / 3 * 3 + 1, 1, 0, 0, 0, TimeSpan.Zero);
        return new CycleDefinition(id, $"{now.Year}-Q{(now.Month - 1) / 3 + 1}", start, start.AddMonths(3));
    }

    private sealed class Builder(Random rng, CycleDefinition cycle)
    {
        private readonly List<Team> _teams = [];
        private readonly List<Person> _people = [];
        private readonly List<KpiDefinition> _kpis = [];
        private readonly List<ObjectiveDefinition> _objectives = [];
        private readonly List<KeyResultDefinition> _keyResults = [];
        private readonly List<Edge> _edges = [];
        private readonly List<string> _companyObjectives = [];
        private readonly List<string> _departmentObjectives = [];
        private int _nextObjective, _nextKeyResult;

        private int Nodes => _objectives.Count + _keyResults.Count;

        public void Build(int target)
        {
            var kpiCount = Math.Max(4, target / 500);
            for (int k = 0; k < kpiCount; k++) _kpis.Add(Kpi(k));

            var company = Owner.Company(CompanyId);
            for (int i = 0; i < CompanyObjectives; i++) _companyObjectives.Add(Objective(company, [], []).Id);

            int department = -1, teamsInDepartment = 0, departmentSize = 0;
            List<string> departmentObjectives = [];
            while (Nodes < target)
            {
                if (department < 0 || teamsInDepartment == departmentSize)
                {
                    department++;
                    teamsInDepartment = 0;
                    departmentSize = rng.Next(5, 11);
                    var dept = new Team($"d{department}", $"Department {department}", null);
                    _teams.Add(dept);
                    var owner = new Owner(OwnerKind.Team, dept.Id);
                    departmentObjectives = Enumerable.Range(0, rng.Next(2, 5))
                        .Select(_ => Objective(owner, _companyObjectives, _companyObjectives).Id).ToList();
                    _departmentObjectives.AddRange(departmentObjectives);
                }
                var team = new Team($"d{department}-t{teamsInDepartment++}", $"Team {department}.{teamsInDepartment}", $"d{department}");
                _teams.Add(team);
                var teamOwner = new Owner(OwnerKind.Team, team.Id);
                var teamObjectives = Enumerable.Range(0, rng.Next(2, 5))
                    .Select(_ => Objective(teamOwner, departmentObjectives, _departmentObjectives).Id).ToList();
                var size = rng.Next(5, 10);
                for (int p = 0; p < size; p++)
                {
                    var person = new Person($"{team.Id}-p{p}", $"Person {team.Id}.{p}", team.Id);
                    _people.Add(person);
                    var personOwner = new Owner(OwnerKind.Person, person.Id);
                    for (int o = rng.Next(2, 5); o > 0; o--) Objective(personOwner, teamObjectives, teamObjectives);
                }
            }
        }

        /// <summary>
        /// An objective aligned to one of <paramref name="parents"/> (and, about one time in ten, also to a second
        /// one from <paramref name="secondParents"/>), with 3–5 key results.
        /// </summary>
        private ObjectiveDefinition Objective(Owner owner, List<string> parents, List<string> secondParents)
        {
            var id = NodeIds.Compose(cycle.Id, $"o{_nextObjective++}");
            var mode = rng.NextDouble() switch { < 0.8 => RollUpMode.KeyResultsAndObjectives, < 0.9 => RollUpMode.KeyResultsOnly, _ => RollUpMode.ObjectivesOnly };
            var o = new ObjectiveDefinition(id, cycle.Id, $"Objective {_nextObjective} of {owner.Id}", "", owner, mode);
            _objectives.Add(o);
            if (parents.Count > 0)
            {
                var first = parents[rng.Next(parents.Count)];
                _edges.Add(new Edge(first, id, Weight()));
                if (rng.NextDouble() < 0.1 && secondParents.Count > 1)
                {
                    var second = secondParents[rng.Next(secondParents.Count)];
                    if (second != first) _edges.Add(new Edge(second, id, Weight()));
                }
            }
            for (int k = rng.Next(3, 6); k > 0; k--) KeyResult(owner, id);
            return o;
        }

        private void KeyResult(Owner owner, string objectiveId)
        {
            var id = NodeIds.Compose(cycle.Id, $"k{_nextKeyResult++}");
            var roll = rng.NextDouble();
            var (kind, start, target, kpi) = roll switch
            {
                < 0.60 => (KeyResultKind.Increase, 0.0, (double)rng.Next(1, 11) * 10, (string?)null),
                < 0.75 => (KeyResultKind.Decrease, (double)rng.Next(5, 21) * 10, (double)rng.Next(0, 5) * 10, null),
                < 0.83 => (KeyResultKind.StayAtOrAbove, 90.0, 95.0, null),
                < 0.88 => (KeyResultKind.StayAtOrBelow, 5.0, 10.0, null),
                < 0.95 => (KeyResultKind.Milestone, 0.0, 1.0, null),
                _ => (KeyResultKind.KpiLinked, 40.0, 60.0, _kpis[rng.Next(_kpis.Count)].Id),
            };
            _keyResults.Add(new KeyResultDefinition(id, cycle.Id, $"Key result {_nextKeyResult}", owner, kind, start, target, "pts", kpi));
            _edges.Add(new Edge(objectiveId, id, Weight()));
        }

        private double Weight() => rng.NextDouble() switch { < 0.75 => 1, < 0.9 => 2, < 0.97 => 0.5, _ => 0 };

        private static KpiDefinition Kpi(int k) => k % 2 == 0
            ? new KpiDefinition($"kpi{k}", $"KPI {k}", "pts", Direction.HigherIsBetter, new KpiThresholds(60, 45), 50, Owner.Company(CompanyId))
            : new KpiDefinition($"kpi{k}", $"KPI {k}", "pts", Direction.LowerIsBetter, new KpiThresholds(40, 55), 50, Owner.Company(CompanyId));

        public SyntheticOrg ToOrg() => new(CompanyId, cycle, [.. _teams], [.. _people], [.. _kpis],
            [.. _objectives], [.. _keyResults], [.. _edges]);
    }
}
