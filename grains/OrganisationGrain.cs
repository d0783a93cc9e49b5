using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Access;
using OkrGrid.Engine.Feed;
using OkrGrid.Engine.Journal;

namespace OkrGrid.Engine;

[GenerateSerializer, Alias("okr.state.organisation-record")]
public sealed class OrganisationRecord
{
    [Id(0)] public string CompanyName { get; set; } = "";
    [Id(1)] public List<Team> Teams { get; set; } = [];
    [Id(2)] public List<Person> People { get; set; } = [];
    [Id(3)] public ScoringPolicy Policy { get; set; } = ScoringPolicy.Default;
    [Id(4)] public List<string> CycleIds { get; set; } = [];
    [Id(5)] public List<KpiSummary> Kpis { get; set; } = [];
    /// <summary>The number of the last audit entry; and entries written with their change, not yet in the audit table.</summary>
    [Id(6)] public long AuditSeq { get; set; }
    [Id(7)] public List<AuditEntry> PendingAudit { get; set; } = [];
}

/// <summary>
/// The company: teams (nestable), people, the scoring policy, and the catalogues of cycles and KPIs. Its commands
/// are an admin's (KPIs: whoever may change their owner's objectives), each audited with its change.
/// </summary>
public sealed class OrganisationGrain(
    [PersistentState("organisation", StorageNames.Okr)] IPersistentState<OrganisationRecord> state,
    ChangeFeedPublisher feed, [FromKeyedServices(EngineClock.Key)] TimeProvider clock, IAuditLog audit, ILogger<OrganisationGrain> logger)
    : Grain, IOrganisationGrain
{
    private long _version;

    private OrganisationRecord Org => state.State;
    private string CompanyId => this.GetPrimaryKeyString();
    private string AuditSource => $"organisation:{CompanyId}";

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        AuditOutbox.FlushAsync(Org.PendingAudit, audit, logger, AuditSource);

    async Task<OrganisationView> IOrganisationGrain.GetAsync()
    {
        var cycles = await Task.WhenAll(Org.CycleIds.Select(id => GrainFactory.GetGrain<ICycleGrain>(id).GetInfoAsync()));
        return new OrganisationView(CompanyId, Org.CompanyName, [.. Org.Teams], [.. Org.People], Org.Policy,
            [.. cycles.OrderBy(c => c.Definition.Start)], [.. Org.Kpis]);
    }

    async Task IOrganisationGrain.SetCompanyNameAsync(string name, Actor? actor)
    {
        AccessChecks.EnsureMayAdminister(actor, "name", "rename the company");
        var old = Org.CompanyName;
        var renamed = Check.Title("name", name, Check.MaxName);
        Org.CompanyName = renamed;
        await WriteOrUndoAsync(() => Org.CompanyName = old, actor, AuditActions.CompanyRenamed, CompanyId, old, renamed);
    }

    async Task<Team> IOrganisationGrain.AddTeamAsync(string id, string name, string? parentTeamId, Actor? actor)
    {
        AccessChecks.EnsureMayAdminister(actor, "id", "add a team");
        Check.Slug("id", id);
        var team = new Team(id, Check.Title("name", name, Check.MaxName), parentTeamId);
        if (Org.Teams.Any(t => t.Id == id)) throw OkrRejectedException.Conflict("id", $"team '{id}' already exists.");
        if (parentTeamId is not null && Org.Teams.All(t => t.Id != parentTeamId)) throw OkrRejectedException.NotFound("parentTeamId", parentTeamId);
        Org.Teams.Add(team);
        await WriteOrUndoAsync(() => Org.Teams.Remove(team), actor, AuditActions.TeamCreated, id, null, team);
        return team;
    }

    async Task<Person> IOrganisationGrain.AddPersonAsync(string id, string name, string teamId, Actor? actor)
    {
        AccessChecks.EnsureMayAdminister(actor, "id", "add a person");
        Check.Slug("id", id);
        var person = new Person(id, Check.Title("name", name, Check.MaxName), teamId);
        if (Org.People.Any(p => p.Id == id)) throw OkrRejectedException.Conflict("id", $"person '{id}' already exists.");
        if (Org.Teams.All(t => t.Id != teamId)) throw OkrRejectedException.NotFound("teamId", teamId);
        Org.People.Add(person);
        await WriteOrUndoAsync(() => Org.People.Remove(person), actor, AuditActions.PersonCreated, id, null, person);
        return person;
    }

    async Task IOrganisationGrain.ImportAsync(ImmutableArray<Team> teams, ImmutableArray<Person> people, Actor? actor)
    {
        AccessChecks.EnsureMayAdminister(actor, "teams", "import teams and people");
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
        }, actor, AuditActions.OrganisationImported, CompanyId, null, new { teams = newTeams, people = newPeople });
    }

    async Task IOrganisationGrain.SetPolicyAsync(ScoringPolicy policy, Actor? actor)
    {
        AccessChecks.EnsureMayAdminister(actor, "policy", "change the scoring policy");
        ValidatePolicy(policy);
        var old = Org.Policy;
        Org.Policy = policy;
        await WriteOrUndoAsync(() => Org.Policy = old, actor, AuditActions.CompanyPolicyChanged, CompanyId, old, policy);
        foreach (var cycleId in Org.CycleIds) await GrainFactory.GetGrain<ICycleGrain>(cycleId).SetPolicyAsync(policy, actor);
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

    async Task<CycleInfo> IOrganisationGrain.CreateCycleAsync(CycleDefinition cycle, Actor? actor)
    {
        AccessChecks.EnsureMayAdminister(actor, "id", "create a cycle");
        Check.Slug("id", cycle.Id);
        var name = Check.Title("name", cycle.Name, Check.MaxName);
        Check.CycleSpan(cycle.Start, cycle.End);
        if (Org.CycleIds.Contains(cycle.Id)) throw OkrRejectedException.Conflict("id", $"cycle '{cycle.Id}' already exists.");
        Org.CycleIds.Add(cycle.Id);
        await WriteOrUndoAsync(() => Org.CycleIds.Remove(cycle.Id), actor, AuditActions.CycleCreated, cycle.Id, null, cycle with { Name = name });
        var grain = GrainFactory.GetGrain<ICycleGrain>(cycle.Id);
        await grain.InitializeAsync(CompanyId, cycle with { Name = name }, Org.Policy);
        Changed();
        return await grain.GetInfoAsync();
    }

    async Task<KpiView> IOrganisationGrain.CreateKpiAsync(KpiDefinition kpi, Actor? actor)
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
        await AccessChecks.EnsureMayChangeAsync(GrainFactory, CompanyId, actor, kpi.Owner, "owner", "a KPI");
        if (Org.Kpis.Any(k => k.Id == kpi.Id)) throw OkrRejectedException.Conflict("id", $"KPI '{kpi.Id}' already exists.");
        var summary = new KpiSummary(kpi.Id, name);
        Org.Kpis.Add(summary);
        await WriteOrUndoAsync(() => Org.Kpis.Remove(summary), actor, AuditActions.KpiCreated, kpi.Id, null, kpi with { Name = name, Unit = unit });
        var grain = GrainFactory.GetGrain<IKpiGrain>(kpi.Id);
        await grain.DefineAsync(kpi with { Name = name, Unit = unit }, CompanyId);
        Changed();
        return await grain.GetViewAsync();
    }

    async Task IOrganisationGrain.DeleteKpiAsync(string kpiId, Actor? actor)
    {
        var summary = Org.Kpis.FirstOrDefault(k => k.Id == kpiId) ?? throw OkrRejectedException.NotFound("kpiId", kpiId);
        var kpi = GrainFactory.GetGrain<IKpiGrain>(kpiId);
        var definition = (await kpi.GetViewAsync()).Definition;
        await AccessChecks.EnsureMayChangeAsync(GrainFactory, CompanyId, actor, definition.Owner, "kpiId", "a KPI");
        await kpi.DeleteAsync();
        Org.Kpis.Remove(summary);
        await WriteOrUndoAsync(() => Org.Kpis.Add(summary), actor, AuditActions.KpiDeleted, kpiId, definition, null);
    }

    Task IOrganisationGrain.EnsureOwnerAsync(Owner owner) => EnsureOwner(owner);

    Task<string?> IOrganisationGrain.GetTeamOfAsync(string personId) =>
        Task.FromResult(Org.People.FirstOrDefault(p => p.Id == personId)?.TeamId);

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

    /// <summary>
    /// Writes the state with the change's audit entry; if the write fails the in-memory change (and the entry) is
    /// undone, so a failure changes nothing. Then the entry goes to the audit table.
    /// </summary>
    private async Task WriteOrUndoAsync(Action undo, Actor? actor, string action, string? subject, object? before, object? after)
    {
        var seq = Org.AuditSeq;
        var pending = Org.PendingAudit.Count;
        AuditOutbox.Add(Org.PendingAudit, ref seq, AuditSource, clock.GetUtcNow(), actor, action, subject, null, before, after);
        Org.AuditSeq = seq;
        try { await state.WriteStateAsync(); }
        catch
        {
            undo();
            Org.PendingAudit.RemoveRange(pending, Org.PendingAudit.Count - pending);
            Org.AuditSeq--;
            throw;
        }
        Changed();
        await AuditOutbox.FlushAsync(Org.PendingAudit, audit, logger, AuditSource);
    }

    /// <summary>Tells dashboards the company changed (teams, people, cycles, KPIs), so they re-read it.</summary>
    private void Changed()
    {
        _version = Versions.Next(_version, clock.GetUtcNow());
        feed.Publish(new NodeChange(CompanyId, NodeKind.Organisation, null, _version, null, null, clock.GetUtcNow()));
    }
}
