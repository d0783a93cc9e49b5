using OkrGrid.Grains.Feed;

namespace OkrGrid.Grains;

[GenerateSerializer]
public sealed class OrganisationRecord
{
    [Id(0)] public string CompanyName { get; set; } = "";
    [Id(1)] public List<Team> Teams { get; set; } = [];
    [Id(2)] public List<Person> People { get; set; } = [];
    [Id(3)] public ScoringPolicy Policy { get; set; } = ScoringPolicy.Default;
    [Id(4)] public List<string> CycleIds { get; set; } = [];
    [Id(5)] public List<KpiSummary> Kpis { get; set; } = [];
}

/// <summary>The company: teams (nestable), people, the scoring policy, and the catalogues of cycles and KPIs.</summary>
public sealed class OrganisationGrain(
    [PersistentState("organisation", StorageNames.Okr)] IPersistentState<OrganisationRecord> state,
    ChangeFeedPublisher feed, IEngineClock clock)
    : Grain, IOrganisationGrain
{
    private long _version;

    private OrganisationRecord Org => state.State;
    private string CompanyId => this.GetPrimaryKeyString();

    async Task<OrganisationView> IOrganisationGrain.GetAsync()
    {
        var cycles = await Task.WhenAll(Org.CycleIds.Select(id => GrainFactory.GetGrain<ICycleGrain>(id).GetInfoAsync()));
        return new OrganisationView(CompanyId, Org.CompanyName, [.. Org.Teams], [.. Org.People], Org.Policy,
            [.. cycles.OrderBy(c => c.Definition.Start)], [.. Org.Kpis]);
    }

    async Task IOrganisationGrain.SetCompanyNameAsync(string name)
    {
        Org.CompanyName = Check.Title("name", name, Check.MaxName);
        await SaveAsync();
    }

    async Task<Team> IOrganisationGrain.AddTeamAsync(string id, string name, string? parentTeamId)
    {
        Check.Slug("id", id);
        var team = new Team(id, Check.Title("name", name, Check.MaxName), parentTeamId);
        if (Org.Teams.Any(t => t.Id == id)) throw OkrRejectedException.Conflict("id", $"team '{id}' already exists.");
        if (parentTeamId is not null && Org.Teams.All(t => t.Id != parentTeamId)) throw OkrRejectedException.NotFound("parentTeamId", parentTeamId);
        Org.Teams.Add(team);
        await WriteOrUndoAsync(() => Org.Teams.Remove(team));
        return team;
    }

    async Task<Person> IOrganisationGrain.AddPersonAsync(string id, string name, string teamId)
    {
        Check.Slug("id", id);
        var person = new Person(id, Check.Title("name", name, Check.MaxName), teamId);
        if (Org.People.Any(p => p.Id == id)) throw OkrRejectedException.Conflict("id", $"person '{id}' already exists.");
        if (Org.Teams.All(t => t.Id != teamId)) throw OkrRejectedException.NotFound("teamId", teamId);
        Org.People.Add(person);
        await WriteOrUndoAsync(() => Org.People.Remove(person));
        return person;
    }

    async Task IOrganisationGrain.ImportAsync(ImmutableArray<Team> teams, ImmutableArray<Person> people)
    {
        var teamIds = Org.Teams.Select(t => t.Id).ToHashSet();
        var personIds = Org.People.Select(p => p.Id).ToHashSet();
        var newTeams = new List<Team>();
        var newPeople = new List<Person>();
        for (int i = 0; i < teams.Length; i++)
        {
            var t = teams[i];
            Check.Slug($"teams[{i}].id", t.Id);
            var name = Check.Title($"teams[{i}].name", t.Name, Check.MaxName);
            if (!teamIds.Add(t.Id)) throw OkrRejectedException.Conflict($"teams[{i}].id", $"team '{t.Id}' already exists.");
            if (t.ParentTeamId is { } parent && !teamIds.Contains(parent)) throw OkrRejectedException.NotFound($"teams[{i}].parentTeamId", parent);
            newTeams.Add(t with { Name = name });
        }
        for (int i = 0; i < people.Length; i++)
        {
            var p = people[i];
            Check.Slug($"people[{i}].id", p.Id);
            var name = Check.Title($"people[{i}].name", p.Name, Check.MaxName);
            if (!personIds.Add(p.Id)) throw OkrRejectedException.Conflict($"people[{i}].id", $"person '{p.Id}' already exists.");
            if (!teamIds.Contains(p.TeamId)) throw OkrRejectedException.NotFound($"people[{i}].teamId", p.TeamId);
            newPeople.Add(p with { Name = name });
        }
        Org.Teams.AddRange(newTeams);
        Org.People.AddRange(newPeople);
        await WriteOrUndoAsync(() =>
        {
            Org.Teams.RemoveRange(Org.Teams.Count - newTeams.Count, newTeams.Count);
            Org.People.RemoveRange(Org.People.Count - newPeople.Count, newPeople.Count);
        });
    }

    async Task IOrganisationGrain.SetPolicyAsync(ScoringPolicy policy)
    {
        ValidatePolicy(policy);
        Org.Policy = policy;
        await SaveAsync();
        foreach (var cycleId in Org.CycleIds) await GrainFactory.GetGrain<ICycleGrain>(cycleId).SetPolicyAsync(policy);
    }

    internal static void ValidatePolicy(ScoringPolicy p)
    {
        Check.Number("onTrackMargin", p.OnTrackMargin);
        Check.Number("atRiskMargin", p.AtRiskMargin);
        Check.Number("stretchMet", p.StretchMet);
        if (p.OnTrackMargin is < 0 or > 1) throw OkrRejectedException.Invalid("onTrackMargin", "must be between 0 and 1.");
        if (p.AtRiskMargin < p.OnTrackMargin || p.AtRiskMargin > 1) throw OkrRejectedException.Invalid("atRiskMargin", "must be between the on-track margin and 1.");
        if (p.StretchMet is <= 0 or > 1) throw OkrRejectedException.Invalid("stretchMet", "must be above 0 and at most 1.");
    }

    async Task<CycleInfo> IOrganisationGrain.CreateCycleAsync(CycleDefinition cycle)
    {
        Check.Slug("id", cycle.Id);
        var name = Check.Title("name", cycle.Name, Check.MaxName);
        if (cycle.End <= cycle.Start) throw OkrRejectedException.Invalid("end", "must be after start.");
        if (Org.CycleIds.Contains(cycle.Id)) throw OkrRejectedException.Conflict("id", $"cycle '{cycle.Id}' already exists.");
        Org.CycleIds.Add(cycle.Id);
        await WriteOrUndoAsync(() => Org.CycleIds.Remove(cycle.Id));
        var grain = GrainFactory.GetGrain<ICycleGrain>(cycle.Id);
        await grain.InitializeAsync(CompanyId, cycle with { Name = name }, Org.Policy);
        Changed();
        return await grain.GetInfoAsync();
    }

    async Task<KpiView> IOrganisationGrain.CreateKpiAsync(KpiDefinition kpi)
    {
        Check.Slug("id", kpi.Id);
        var name = Check.Title("name", kpi.Name, Check.MaxName);
        var unit = Check.Text("unit", kpi.Unit, Check.MaxUnit);
        Check.Enum("direction", kpi.Direction);
        Check.Number("thresholds.green", kpi.Thresholds.Green);
        Check.Number("thresholds.yellow", kpi.Thresholds.Yellow);
        Check.Number("baseline", kpi.Baseline);
        if (kpi.Direction == Direction.HigherIsBetter ? kpi.Thresholds.Green < kpi.Thresholds.Yellow : kpi.Thresholds.Green > kpi.Thresholds.Yellow)
            throw OkrRejectedException.Invalid("thresholds", kpi.Direction == Direction.HigherIsBetter
                ? "with higher-is-better the green threshold must be at or above the yellow one."
                : "with lower-is-better the green threshold must be at or below the yellow one.");
        await EnsureOwner(kpi.Owner);
        if (Org.Kpis.Any(k => k.Id == kpi.Id)) throw OkrRejectedException.Conflict("id", $"KPI '{kpi.Id}' already exists.");
        var summary = new KpiSummary(kpi.Id, name);
        Org.Kpis.Add(summary);
        await WriteOrUndoAsync(() => Org.Kpis.Remove(summary));
        var grain = GrainFactory.GetGrain<IKpiGrain>(kpi.Id);
        await grain.DefineAsync(kpi with { Name = name, Unit = unit });
        Changed();
        return await grain.GetViewAsync();
    }

    async Task IOrganisationGrain.DeleteKpiAsync(string kpiId)
    {
        var summary = Org.Kpis.FirstOrDefault(k => k.Id == kpiId) ?? throw OkrRejectedException.NotFound("kpiId", kpiId);
        await GrainFactory.GetGrain<IKpiGrain>(kpiId).DeleteAsync();
        Org.Kpis.Remove(summary);
        await SaveAsync();
    }

    Task IOrganisationGrain.EnsureOwnerAsync(Owner owner) => EnsureOwner(owner);

    Task IOrganisationGrain.EnsureOwnersAsync(ImmutableArray<Owner> owners)
    {
        for (int i = 0; i < owners.Length; i++) EnsureOwner(owners[i], $"owners[{i}]");
        return Task.CompletedTask;
    }

    private Task EnsureOwner(Owner? owner, string field = "owner")
    {
        if (owner is null) throw OkrRejectedException.Invalid(field, "is required.");
        var known = owner.Kind switch
        {
            OwnerKind.Company => owner.Id == CompanyId,
            OwnerKind.Team => Org.Teams.Any(t => t.Id == owner.Id),
            OwnerKind.Person => Org.People.Any(p => p.Id == owner.Id),
            _ => false,
        };
        if (!known) throw OkrRejectedException.NotFound(field, owner.ToString());
        return Task.CompletedTask;
    }

    /// <summary>Writes the state; if the write fails the in-memory change is undone, so a failure changes nothing.</summary>
    private async Task WriteOrUndoAsync(Action undo)
    {
        try { await state.WriteStateAsync(); }
        catch { undo(); throw; }
        Changed();
    }

    private async Task SaveAsync()
    {
        await state.WriteStateAsync();
        Changed();
    }

    /// <summary>Tells dashboards the company changed (teams, people, cycles, KPIs), so they re-read it.</summary>
    private void Changed()
    {
        _version = Math.Max(_version + 1, clock.UtcNow.UtcTicks);
        feed.Publish(new NodeChange(CompanyId, NodeKind.Organisation, null, _version, null, null, clock.UtcNow));
    }
}
