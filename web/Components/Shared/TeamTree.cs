namespace OkrGrid.Web.Components.Shared;

/// <summary>Teams in tree order (each parent before its sub-teams, siblings by name) with their depth.</summary>
public static class TeamTree
{
    public static IEnumerable<(Team Team, int Depth)> Ordered(IEnumerable<Team> teams)
    {
        var all = teams.ToList();
        var ids = all.Select(t => t.Id).ToHashSet();
        var byParent = all.ToLookup(t => t.ParentTeamId is { } p && ids.Contains(p) ? p : null);
        var seen = new HashSet<string>();
        IEnumerable<(Team, int)> Walk(string? parent, int depth)
        {
            foreach (var team in byParent[parent].OrderBy(t => t.Name, StringComparer.CurrentCulture))
            {
                if (!seen.Add(team.Id)) continue;
                yield return (team, depth);
                foreach (var child in Walk(team.Id, depth + 1)) yield return child;
            }
        }
        return Walk(null, 0).ToList();
    }

    /// <summary>The name of whoever owns a node: the company's, a team's or a person's.</summary>
    public static string OwnerName(OrganisationView org, Owner owner) => owner.Kind switch
    {
        OwnerKind.Company => org.CompanyName is { Length: > 0 } n ? n : org.CompanyId,
        OwnerKind.Team => org.Teams.FirstOrDefault(t => t.Id == owner.Id)?.Name ?? owner.Id,
        _ => org.People.FirstOrDefault(p => p.Id == owner.Id)?.Name ?? owner.Id,
    };

    /// <summary>The team a node belongs to: the owning team, or the owning person's team; null for the company.</summary>
    public static string? TeamOf(OrganisationView org, Owner owner) => owner.Kind switch
    {
        OwnerKind.Team => owner.Id,
        OwnerKind.Person => org.People.FirstOrDefault(p => p.Id == owner.Id)?.TeamId,
        _ => null,
    };
}
