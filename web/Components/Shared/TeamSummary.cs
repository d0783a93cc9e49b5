namespace OkrGrid.Web.Components.Shared;

/// <summary>A team at a glance: its objectives (with its sub-teams'), their mean progress and statuses, its people.</summary>
public sealed record TeamSummary(Team Team, int Depth, string? ParentName, IReadOnlyList<ObjectiveItem> Objectives, int People, int KeyResults)
{
    public double Progress => Objectives.Count == 0 ? 0 : Objectives.Average(o => o.Progress);
    public double Expected => Objectives.Count == 0 ? 0 : Objectives[0].Expected;
    public IEnumerable<Status> Statuses => Objectives.Select(o => o.Status);

    public Status Status(ScoringPolicy policy) =>
        Objectives.Count == 0 || Objectives.All(o => o.Score is null or { NoData: true }) ? Model.Status.NoData : Rules.StatusOf(Progress, Expected, policy);

    /// <summary>
    /// Columns for <paramref name="count"/> cards, at most <paramref name="max"/>, with rows as even as they can be: six in
    /// rows of three rather than five and one alone.
    /// </summary>
    public static int Columns(int count, int max)
    {
        if (count <= 0 || max <= 0) return 1;
        var rows = (count + max - 1) / max;
        return (count + rows - 1) / rows;
    }

    /// <summary>The style of an <c>okr-grid--balanced</c> grid: columns on a wide screen and on a laptop.</summary>
    public static string GridStyle(int count, int wide, int laptop) => $"--cols-wide:{Columns(count, wide)};--cols:{Columns(count, laptop)}";

    public static List<TeamSummary> All(CycleBoard board, OrganisationView org, DateTimeOffset now) =>
        TeamTree.Ordered(org.Teams).Select(t => Of(board, org, t.Team, t.Depth, now)).ToList();

    public static TeamSummary Of(CycleBoard board, OrganisationView org, Team team, int depth, DateTimeOffset now)
    {
        var objectives = Scorecards.TeamObjectives(board, org, team.Id).Select(o => BoardItems.Objective(board, org, o, now)).ToList();
        var teams = Scorecards.TeamAndDescendants(org, team.Id);
        var people = org.People.Count(p => teams.Contains(p.TeamId));
        var keyResults = board.KeyResults.Count(k => BoardItems.OwnedWithin(org, teams, k.Owner));
        var parent = team.ParentTeamId is { } p ? org.Teams.FirstOrDefault(t => t.Id == p)?.Name : null;
        return new TeamSummary(team, depth, parent, objectives, people, keyResults);
    }
}
