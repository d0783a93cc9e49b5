using OkrGrid.Model;
using OkrGrid.Validation;
using OkrGrid.Views;

namespace OkrGrid.Domain.Views;

/// <summary>
/// A cycle's alignment graph as a tree for display: company objectives at the top, each objective's children below
/// it. Pure: built from a snapshot and the organisation, so the API and the pages show the same tree.
/// </summary>
public static class AlignmentTree
{
    /// <summary>
    /// Roots are objectives with no parent (company objectives and orphans), company-owned first. A child with several
    /// parents appears under each of them. Children are child objectives, then key results (each by id). A team filter
    /// keeps nodes owned by the team, its sub-teams or their members; a status filter keeps nodes with that status;
    /// both keep the nodes that match both. The ancestors that lead to a kept node are kept with it.
    /// </summary>
    /// <exception cref="OkrRejectedException">The filter's team does not exist (not found, field "teamId").</exception>
    public static ImmutableArray<AlignmentNode> Build(CycleSnapshot snapshot, OrganisationView organisation, AlignmentFilter filter)
    {
        var objectives = snapshot.Objectives.ToDictionary(o => o.Id);
        var keyResults = snapshot.KeyResults.ToDictionary(k => k.Id);
        // Edges to or from nodes the snapshot does not define are ignored; only objectives are parents.
        var edges = snapshot.Edges
            .Where(e => objectives.ContainsKey(e.ParentId) && (objectives.ContainsKey(e.ChildId) || keyResults.ContainsKey(e.ChildId)))
            .ToList();
        var childrenOf = edges.ToLookup(e => e.ParentId, e => e.ChildId);
        var parentsOf = edges.ToLookup(e => e.ChildId, e => e.ParentId);

        var ownerNames = new OwnerNames(organisation);
        var visible = Visible(snapshot, organisation, filter, parentsOf);
        var built = new Dictionary<string, AlignmentNode>();

        AlignmentNode NodeOf(string id)
        {
            // A node under several parents is built once and shared; loops cannot occur (the cycle grain refuses them).
            if (built.TryGetValue(id, out var done)) return done;
            var children = childrenOf[id].Distinct().Where(IsVisible)
                .OrderBy(c => objectives.ContainsKey(c) ? 0 : 1).ThenBy(c => c, StringComparer.Ordinal)
                .Select(NodeOf).ToImmutableArray();
            var parents = parentsOf[id].Distinct().Order(StringComparer.Ordinal).ToImmutableArray();
            var score = snapshot.Scores.GetValueOrDefault(id);
            var node = objectives.TryGetValue(id, out var o)
                ? new AlignmentNode(id, NodeKind.Objective, o.Title, o.Owner, ownerNames.Of(o.Owner), score, parents, children)
                : new AlignmentNode(id, NodeKind.KeyResult, keyResults[id].Title, keyResults[id].Owner, ownerNames.Of(keyResults[id].Owner), score, parents, []);
            built[id] = node;
            return node;
        }

        bool IsVisible(string id) => visible is null || visible.Contains(id);

        return snapshot.Objectives
            .Where(o => !parentsOf[o.Id].Any() && IsVisible(o.Id))
            .OrderBy(o => o.Owner.Kind).ThenBy(o => o.Id, StringComparer.Ordinal)
            .Select(o => NodeOf(o.Id))
            .ToImmutableArray();
    }

    /// <summary>The nodes a filter keeps with their ancestors; null when nothing is filtered.</summary>
    private static HashSet<string>? Visible(CycleSnapshot snapshot, OrganisationView organisation, AlignmentFilter filter,
        ILookup<string, string> parentsOf)
    {
        if (filter.TeamId is null && filter.Status is null) return null;
        var owners = filter.TeamId is { } teamId ? OwnersWithin(organisation, teamId) : null;

        bool Matches(string id, Owner owner)
        {
            if (owners is not null && !owners.Contains(owner)) return false;
            var status = snapshot.Scores.GetValueOrDefault(id)?.Status ?? Status.NoData;
            return filter.Status is not { } wanted || status == wanted;
        }

        var matching = snapshot.Objectives.Where(o => Matches(o.Id, o.Owner)).Select(o => o.Id)
            .Concat(snapshot.KeyResults.Where(k => Matches(k.Id, k.Owner)).Select(k => k.Id));
        var visible = new HashSet<string>();
        var stack = new Stack<string>(matching);
        while (stack.TryPop(out var id))
            if (visible.Add(id))
                foreach (var parent in parentsOf[id]) stack.Push(parent);
        return visible;
    }

    /// <summary>The team, its sub-teams (at any depth) and the people in any of them, as owners.</summary>
    /// <exception cref="OkrRejectedException">The team does not exist (not found, field "teamId").</exception>
    public static HashSet<Owner> OwnersWithin(OrganisationView organisation, string teamId)
    {
        if (organisation.Teams.All(t => t.Id != teamId)) throw OkrRejectedException.NotFound("teamId", teamId);
        var teams = new HashSet<string> { teamId };
        // Teams are added parents first, but a fixed point does not depend on that.
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var t in organisation.Teams)
                if (t.ParentTeamId is { } parent && teams.Contains(parent) && teams.Add(t.Id)) grew = true;
        }
        var owners = teams.Select(t => new Owner(OwnerKind.Team, t)).ToHashSet();
        foreach (var p in organisation.People.Where(p => teams.Contains(p.TeamId))) owners.Add(new Owner(OwnerKind.Person, p.Id));
        return owners;
    }
}

/// <summary>Display names of owners: the company's name, a team's or a person's; the id when unknown.</summary>
public sealed class OwnerNames(OrganisationView organisation)
{
    private readonly Dictionary<string, string> _teams = organisation.Teams.ToDictionary(t => t.Id, t => t.Name);
    private readonly Dictionary<string, string> _people = organisation.People.ToDictionary(p => p.Id, p => p.Name);

    public string Of(Owner owner) => owner.Kind switch
    {
        OwnerKind.Company => organisation.CompanyName is { Length: > 0 } name ? name : owner.Id,
        OwnerKind.Team => _teams.GetValueOrDefault(owner.Id, owner.Id),
        OwnerKind.Person => _people.GetValueOrDefault(owner.Id, owner.Id),
        _ => owner.Id,
    };
}
