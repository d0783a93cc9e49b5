using OkrGrid.Access;
using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>
/// The company: its teams, people, scoring policy, cycles and KPI catalogue. Key: the company id. Commands take the
/// <see cref="Actor"/> asking (null: the engine itself), are refused unless it may, and are audited.
/// </summary>
[Alias("okr.grains.organisation-grain")]
public interface IOrganisationGrain : IGrainWithStringKey
{
    [Alias("Get"), AlwaysInterleave] Task<OrganisationView> GetAsync();
    [Alias("SetCompanyName")] Task SetCompanyNameAsync(string name, Actor? actor = null);
    [Alias("AddTeam")] Task<Team> AddTeamAsync(string id, string name, string? parentTeamId, Actor? actor = null);
    [Alias("AddPerson")] Task<Person> AddPersonAsync(string id, string name, string teamId, Actor? actor = null);

    /// <summary>Adds many teams (parents before children) and people at once, in one state write.</summary>
    [ResponseTimeout("00:10:00")] // an organisation's import: far longer than an interactive call's limit
    [Alias("Import")] Task ImportAsync(ImmutableArray<Team> teams, ImmutableArray<Person> people, Actor? actor = null);
    [Alias("SetPolicy")] Task SetPolicyAsync(ScoringPolicy policy, Actor? actor = null);
    [Alias("CreateCycle")] Task<CycleInfo> CreateCycleAsync(CycleDefinition cycle, Actor? actor = null);
    [Alias("CreateKpi")] Task<KpiView> CreateKpiAsync(KpiDefinition kpi, Actor? actor = null);
    [Alias("DeleteKpi")] Task DeleteKpiAsync(string kpiId, Actor? actor = null);

    /// <summary>Throws when the owner is not the company, a known team or a known person.</summary>
    [Alias("EnsureOwner"), AlwaysInterleave] Task EnsureOwnerAsync(Owner owner);

    /// <summary>The team a person belongs to (null: no such person). For permission checks: a lead covers their teams' people.</summary>
    [Alias("GetTeamOf"), AlwaysInterleave] Task<string?> GetTeamOfAsync(string personId);

    /// <summary>Throws for the first unknown owner, naming "owners[i]".</summary>
    [Alias("EnsureOwners"), AlwaysInterleave] Task EnsureOwnersAsync(ImmutableArray<Owner> owners);
}
