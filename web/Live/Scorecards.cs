namespace OkrGrid.Web.Live;

/// <summary>What a scorecard is about: the company, or one team (with its sub-teams).</summary>
public sealed record ScorecardScope(string? TeamId)
{
    public static ScorecardScope Company { get; } = new((string?)null);

    public bool IsCompany => TeamId is null;

    /// <summary>"company" or "team:{teamId}".</summary>
    public override string ToString() => TeamId is null ? "company" : $"team:{TeamId}";

    public static bool TryParse(string? text, out ScorecardScope scope)
    {
        scope = Company;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (text.Equals("company", StringComparison.OrdinalIgnoreCase)) return true;
        if (text.StartsWith("team:", StringComparison.OrdinalIgnoreCase) && text.Length > 5)
        {
            scope = new ScorecardScope(text[5..]);
            return true;
        }
        return false;
    }
}

/// <summary>A scorecard's entries: its objectives, each followed by its children; a team's also name the parents they support.</summary>
public enum ScorecardRole { Objective, Child, Supports }

public sealed record ScorecardNode(string Id, NodeKind Kind, ScorecardRole Role, string Title, string? ParentId, double Weight, NodeScore? Score);

/// <summary>A scorecard as a hub client receives it when it subscribes (and again when the structure changes).</summary>
public sealed record ScorecardState(
    string Scope, string Title, string CycleId, string CycleName,
    ImmutableArray<ScorecardNode> Nodes, ImmutableArray<KpiState> Kpis);

/// <summary>Which objectives and KPIs a scorecard shows — one definition for the wall, the team page and the hub.</summary>
public static class Scorecards
{
    /// <summary>The company's own objectives, in the cycle's order.</summary>
    public static IReadOnlyList<ObjectiveDefinition> CompanyObjectives(CycleBoard board) =>
        board.Objectives.Where(o => o.Owner.Kind == OwnerKind.Company).ToList();

    /// <summary>Objectives owned by the team or any of its sub-teams.</summary>
    public static IReadOnlyList<ObjectiveDefinition> TeamObjectives(CycleBoard board, OrganisationView organisation, string teamId)
    {
        var teams = TeamAndDescendants(organisation, teamId);
        return board.Objectives.Where(o => o.Owner.Kind == OwnerKind.Team && teams.Contains(o.Owner.Id)).ToList();
    }

    public static HashSet<string> TeamAndDescendants(OrganisationView organisation, string teamId)
    {
        var result = new HashSet<string> { teamId };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var t in organisation.Teams)
                if (t.ParentTeamId is { } parent && result.Contains(parent) && result.Add(t.Id)) grew = true;
        }
        return result;
    }

    public static IReadOnlyList<ObjectiveDefinition> Objectives(CycleBoard board, OrganisationView organisation, ScorecardScope scope) =>
        scope.TeamId is { } team ? TeamObjectives(board, organisation, team) : CompanyObjectives(board);

    /// <summary>KPIs the scorecard shows: all of them on the company's, the team's own (and its sub-teams') on a team's.</summary>
    public static bool ShowsKpi(KpiDefinition kpi, OrganisationView organisation, ScorecardScope scope) =>
        scope.TeamId is not { } team
        || kpi.Owner.Kind == OwnerKind.Team && TeamAndDescendants(organisation, team).Contains(kpi.Owner.Id);

    public static string TitleOf(OrganisationView organisation, ScorecardScope scope) =>
        scope.TeamId is { } team
            ? organisation.Teams.FirstOrDefault(t => t.Id == team)?.Name ?? team
            : organisation.CompanyName is { Length: > 0 } name ? name : organisation.CompanyId;

    /// <summary>The scorecard's entries with their current scores.</summary>
    public static ImmutableArray<ScorecardNode> Nodes(CycleBoard board, OrganisationView organisation, ScorecardScope scope)
    {
        var nodes = ImmutableArray.CreateBuilder<ScorecardNode>();
        foreach (var objective in Objectives(board, organisation, scope))
        {
            nodes.Add(new ScorecardNode(objective.Id, NodeKind.Objective, ScorecardRole.Objective, objective.Title, null, 1, board.ScoreOf(objective.Id)));
            foreach (var edge in board.ChildrenOf(objective.Id))
            {
                var kind = board.Objective(edge.ChildId) is null ? NodeKind.KeyResult : NodeKind.Objective;
                nodes.Add(new ScorecardNode(edge.ChildId, kind, ScorecardRole.Child, board.TitleOf(edge.ChildId) ?? edge.ChildId,
                    objective.Id, edge.Weight, board.ScoreOf(edge.ChildId)));
            }
            if (!scope.IsCompany)
                foreach (var edge in board.ParentsOf(objective.Id))
                    nodes.Add(new ScorecardNode(edge.ParentId, NodeKind.Objective, ScorecardRole.Supports, board.TitleOf(edge.ParentId) ?? edge.ParentId,
                        objective.Id, edge.Weight, board.ScoreOf(edge.ParentId)));
        }
        return nodes.ToImmutable();
    }
}
