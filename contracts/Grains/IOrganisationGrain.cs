using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>The company: its teams, people, scoring policy, cycles and KPI catalogue. Key: the company id.</summary>
public interface IOrganisationGrain : IGrainWithStringKey
{
    [AlwaysInterleave] Task<OrganisationView> GetAsync();
    Task SetCompanyNameAsync(string name);
    Task<Team> AddTeamAsync(string id, string name, string? parentTeamId);
    Task<Person> AddPersonAsync(string id, string name, string teamId);

    /// <summary>Adds many teams (parents before children) and people at once, in one state write.</summary>
    Task ImportAsync(ImmutableArray<Team> teams, ImmutableArray<Person> people);
    Task SetPolicyAsync(ScoringPolicy policy);
    Task<CycleInfo> CreateCycleAsync(CycleDefinition cycle);
    Task<KpiView> CreateKpiAsync(KpiDefinition kpi);
    Task DeleteKpiAsync(string kpiId);

    /// <summary>Throws when the owner is not the company, a known team or a known person.</summary>
    [AlwaysInterleave] Task EnsureOwnerAsync(Owner owner);

    /// <summary>Throws for the first unknown owner, naming "owners[i]".</summary>
    [AlwaysInterleave] Task EnsureOwnersAsync(ImmutableArray<Owner> owners);
}
