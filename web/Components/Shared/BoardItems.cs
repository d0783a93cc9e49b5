namespace OkrGrid.Web.Components.Shared;

/// <summary>A child of an objective as a row shows it: an aligned objective or a key result, with its weight there.</summary>
public sealed record ChildRow(string Id, NodeKind Kind, string Title, string OwnerName, NodeScore? Score, double Expected, double Weight,
    KeyResultDefinition? KeyResult)
{
    public Status Status => Score?.Status ?? Status.NoData;
}

/// <summary>Reads the view models the pages show from a live <see cref="CycleBoard"/>.</summary>
public static class BoardItems
{
    public static ObjectiveItem Objective(CycleBoard board, OrganisationView org, ObjectiveDefinition o, DateTimeOffset now)
    {
        var elapsed = board.ExpectedProgress(now);
        var keyResults = board.ChildrenOf(o.Id)
            .Select(e => board.KeyResult(e.ChildId))
            .OfType<KeyResultDefinition>()
            .Select(k => KeyResult(board, org, k, elapsed))
            .ToList();
        var childObjectives = board.ChildrenOf(o.Id).Count(e => board.Objective(e.ChildId) is not null);
        return new ObjectiveItem(o, board.ScoreOf(o.Id), TeamTree.OwnerName(org, o.Owner), elapsed, keyResults, childObjectives);
    }

    public static KeyResultItem KeyResult(CycleBoard board, OrganisationView org, KeyResultDefinition k, double elapsed) =>
        new(k, board.ScoreOf(k.Id), TeamTree.OwnerName(org, k.Owner), Rules.ExpectedFor(k.Kind, elapsed));

    /// <summary>An objective's children: aligned objectives first, then key results, each in the cycle's order.</summary>
    public static List<ChildRow> Children(CycleBoard board, OrganisationView org, string objectiveId, DateTimeOffset now)
    {
        var elapsed = board.ExpectedProgress(now);
        var rows = new List<ChildRow>();
        foreach (var edge in board.ChildrenOf(objectiveId))
        {
            if (board.Objective(edge.ChildId) is { } child)
                rows.Add(new ChildRow(child.Id, NodeKind.Objective, child.Title, TeamTree.OwnerName(org, child.Owner),
                    board.ScoreOf(child.Id), elapsed, edge.Weight, null));
            else if (board.KeyResult(edge.ChildId) is { } kr)
                rows.Add(new ChildRow(kr.Id, NodeKind.KeyResult, kr.Title, TeamTree.OwnerName(org, kr.Owner),
                    board.ScoreOf(kr.Id), Rules.ExpectedFor(kr.Kind, elapsed), edge.Weight, kr));
        }
        return [.. rows.OrderBy(r => r.Kind == NodeKind.Objective ? 0 : 1)];
    }

    /// <summary>The objectives a node is aligned under, with their live scores.</summary>
    public static List<ChildRow> Parents(CycleBoard board, OrganisationView org, string nodeId, DateTimeOffset now)
    {
        var elapsed = board.ExpectedProgress(now);
        return board.ParentsOf(nodeId)
            .Select(e => board.Objective(e.ParentId) is { } p
                ? new ChildRow(p.Id, NodeKind.Objective, p.Title, TeamTree.OwnerName(org, p.Owner), board.ScoreOf(p.Id), elapsed, e.Weight, null)
                : null)
            .OfType<ChildRow>()
            .ToList();
    }

    /// <summary>Counts by status, worst first: off track, at risk, on track, no data.</summary>
    public static (int OffTrack, int AtRisk, int OnTrack, int NoData) Mix(IEnumerable<Status> statuses)
    {
        int off = 0, risk = 0, on = 0, none = 0;
        foreach (var s in statuses)
            switch (s)
            {
                case Status.OffTrack: off++; break;
                case Status.AtRisk: risk++; break;
                case Status.OnTrack: on++; break;
                default: none++; break;
            }
        return (off, risk, on, none);
    }

    /// <summary>Every objective and key result a team answers for: owned by the team, its sub-teams or their members.</summary>
    public static bool OwnedWithin(OrganisationView org, HashSet<string> teams, Owner owner) => owner.Kind switch
    {
        OwnerKind.Team => teams.Contains(owner.Id),
        OwnerKind.Person => org.People.FirstOrDefault(p => p.Id == owner.Id) is { } person && teams.Contains(person.TeamId),
        _ => false,
    };
}
