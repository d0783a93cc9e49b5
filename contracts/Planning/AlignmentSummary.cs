using OkrGrid.Model;

namespace OkrGrid.Planning;

/// <summary>The share of a company objective's progress that comes from one team's key results (with its sub-teams' people).</summary>
[GenerateSerializer, Immutable]
public sealed record TeamShare(
    [property: Id(0)] string? TeamId,
    [property: Id(1)] string Name,
    [property: Id(2)] double Share);

[GenerateSerializer, Immutable]
public sealed record CompanyObjectiveAlignment(
    [property: Id(0)] string ObjectiveId,
    [property: Id(1)] string Title,
    [property: Id(2)] ImmutableArray<string> Contributors,
    [property: Id(3)] ImmutableArray<TeamShare> TeamShares);

/// <summary>How well a cycle's objectives are aligned: before or after a scenario's moves.</summary>
/// <param name="AlignedShare">Of the objectives not owned by the company, the share with a path up to a company objective.</param>
/// <param name="Orphans">Objectives not owned by the company and aligned to nothing.</param>
[GenerateSerializer, Immutable]
public sealed record AlignmentSummary(
    [property: Id(0)] double AlignedShare,
    [property: Id(1)] ImmutableArray<string> Orphans,
    [property: Id(2)] ImmutableArray<CompanyObjectiveAlignment> CompanyObjectives)
{
    public static AlignmentSummary Of(PlanGraph graph, OrganisationView organisation)
    {
        var company = graph.Objectives.Where(o => o.Owner.Kind == OwnerKind.Company).OrderBy(o => o.Id, StringComparer.Ordinal).ToList();
        var others = graph.Objectives.Where(o => o.Owner.Kind != OwnerKind.Company).ToList();
        var teamOfPerson = organisation.People.ToDictionary(p => p.Id, p => p.TeamId);
        var teamNames = organisation.Teams.ToDictionary(t => t.Id, t => t.Name);
        var companyName = organisation.CompanyName is { Length: > 0 } n ? n : "Company";
        var aligned = new HashSet<string>();
        var perCompany = ImmutableArray.CreateBuilder<CompanyObjectiveAlignment>();
        foreach (var c in company)
        {
            var influence = Influence.Below(graph, c.Id);
            var contributors = influence.Keys.Where(id => id != c.Id && graph.IsObjective(id)).Order(StringComparer.Ordinal).ToImmutableArray();
            aligned.UnionWith(contributors);
            var byTeam = influence.Where(kv => graph.KeyResult(kv.Key) is not null && kv.Value > 0)
                .GroupBy(kv => TeamOf(graph.KeyResult(kv.Key)!.Owner, teamOfPerson) ?? "")
                .Select(g => g.Key == "" ? new TeamShare(null, companyName, g.Sum(kv => kv.Value))
                    : new TeamShare(g.Key, teamNames.GetValueOrDefault(g.Key, g.Key), g.Sum(kv => kv.Value)))
                .OrderByDescending(t => t.Share).ThenBy(t => t.Name, StringComparer.Ordinal);
            perCompany.Add(new CompanyObjectiveAlignment(c.Id, c.Title, contributors, [.. byTeam]));
        }
        var share = others.Count == 0 ? 1.0 : others.Count(o => aligned.Contains(o.Id)) / (double)others.Count;
        var orphans = others.Where(o => graph.ParentsOf(o.Id).Count == 0).Select(o => o.Id).Order(StringComparer.Ordinal).ToImmutableArray();
        return new AlignmentSummary(share, orphans, perCompany.ToImmutable());
    }

    /// <summary>The team a key result's owner belongs to; null for the company itself.</summary>
    private static string? TeamOf(Owner owner, Dictionary<string, string> teamOfPerson) => owner.Kind switch
    {
        OwnerKind.Team => owner.Id,
        OwnerKind.Person => teamOfPerson.GetValueOrDefault(owner.Id),
        _ => null,
    };
}
