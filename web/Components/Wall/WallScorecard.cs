using OkrGrid.Web.Components.Shared;

namespace OkrGrid.Web.Components.Wall;

/// <summary>
/// What a wall shows of one scorecard and where: its objectives (the ones that just turned worse first), how the
/// objective area is laid out (<see cref="WallPlan"/>), the team's KPIs, what it contributes to and its latest updates,
/// and how many of each fit the right-hand column (<see cref="WallSidePlan"/>). Built from the live board; it keeps
/// which objectives turned at risk or off track while the wall is up, for their marker. The page only renders it.
/// </summary>
public sealed class WallScorecard
{
    /// <summary>How long an objective that turned at risk or off track stays at the front with its marker.</summary>
    public static readonly TimeSpan MarkerWindow = TimeSpan.FromMinutes(15);

    private readonly Dictionary<string, Status> _lastStatus = [];
    private readonly Dictionary<string, (DateTimeOffset At, Status Status)> _turned = [];

    public string Title { get; private set; } = "";
    public IReadOnlyList<ObjectiveItem> Items { get; private set; } = [];
    public IReadOnlyList<KpiView> Kpis { get; private set; } = [];
    public IReadOnlyList<ObjectiveItem> Supports { get; private set; } = [];
    /// <summary>The key results whose check-ins the feed shows: a team's (and its people's), and those on its objectives.</summary>
    public IReadOnlySet<string> ScopeKeyResults { get; private set; } = new HashSet<string>();
    public WallLayoutPlan Plan { get; private set; } = new(1, "full", 0);
    public WallSide Side { get; private set; } = WallSide.None;
    /// <summary>The updates shown, newest first (<see cref="Side"/> decides how many).</summary>
    public IReadOnlyList<WallUpdate> Updates { get; private set; } = [];
    /// <summary>Whether the right-hand column is shown: a team's scorecard always has one, the company's when it has KPIs.</summary>
    public bool HasSide { get; private set; }
    /// <summary>Every node whose change should re-render the wall.</summary>
    public IEnumerable<string> Watched { get; private set; } = [];

    private Dictionary<string, Status> _statuses = [];

    /// <summary>A key result's status now (the colour of its dot in the feed).</summary>
    public Status StatusOf(string keyResultId) => _statuses.GetValueOrDefault(keyResultId, Status.NoData);

    /// <summary>Objectives hidden for lack of room.</summary>
    public int MoreObjectives => Items.Count - Plan.Shown;
    public int MoreSupports => Supports.Count - Side.Supports;

    public void Compose(CycleBoard board, OrganisationView org, IReadOnlyList<KpiView> allKpis, ScorecardScope scope, WallFeed feed,
        DateTimeOffset now, bool past)
    {
        var elapsed = board.ExpectedProgress(now);
        if (!past) TrackStatusTurns(board, now);
        else
        {
            // Nothing "just turned" in a still picture; and live again, turns are counted from then on.
            _turned.Clear();
            _lastStatus.Clear();
        }
        Title = Scorecards.TitleOf(org, scope);

        var objectives = Scorecards.Objectives(board, org, scope);
        var order = objectives.Select((o, i) => (o.Id, i)).ToDictionary(x => x.Id, x => x.i);
        Items = objectives
            .Select(o => Item(board, org, o, elapsed, now))
            .OrderBy(i => i.Marker is null ? 1 : 0)
            .ThenByDescending(i => _turned.TryGetValue(i.Id, out var t) ? t.At : DateTimeOffset.MinValue)
            .ThenBy(i => order[i.Id])
            .ToList();
        Kpis = allKpis.Where(k => Scorecards.ShowsKpi(k.Definition, org, scope)).ToList();
        // A team's scorecard also shows what its objectives roll up into, outside the team.
        var own = objectives.Select(o => o.Id).ToHashSet();
        Supports = scope.IsCompany ? [] : objectives
            .SelectMany(o => board.ParentsOf(o.Id))
            .Select(e => e.ParentId).Distinct()
            .Where(id => !own.Contains(id))
            .Select(board.Objective).OfType<ObjectiveDefinition>()
            .Select(o => Item(board, org, o, elapsed, now))
            .ToList();
        HasSide = !scope.IsCompany || Kpis.Count > 0;
        Plan = WallPlan.For(Items.Select(i => i.KeyResults.Count).ToList(), HasSide);

        ScopeKeyResults = scope.TeamId is { } teamId
            ? board.KeyResults.Where(k => BoardItems.OwnedWithin(org, Scorecards.TeamAndDescendants(org, teamId), k.Owner)
                || Items.Any(i => i.KeyResults.Any(x => x.Id == k.Id))).Select(k => k.Id).ToHashSet()
            : [];
        _statuses = ScopeKeyResults.ToDictionary(id => id, id => board.ScoreOf(id)?.Status ?? Status.NoData);
        var updates = past || scope.IsCompany ? [] : feed.Of(ScopeKeyResults, WallFeed.Capacity);
        Side = scope.IsCompany
            ? new WallSide(Kpis.Count, 0, 0)
            : WallSidePlan.For(Kpis.Count, Supports.Select(s => s.Definition.Title.Length).ToList(), updates.Count);
        Updates = updates.Take(Side.Updates).ToList();

        // Every objective of the board is watched, so the "contributes to" ones are too.
        Watched = ScopeKeyResults.Concat(board.Objectives.Select(o => o.Id))
            .Concat(Items.SelectMany(i => i.KeyResults.Select(k => k.Id)))
            .Concat(Kpis.Select(k => k.Definition.Id))
            .ToList();
    }

    /// <summary>Whether a key result's target is worth its own column: not when the title already says it ("… from 45 to 5 minutes").</summary>
    public static bool TitleStatesTarget(KeyResultDefinition kr) => kr.Kind switch
    {
        KeyResultKind.Milestone => true,
        _ => System.Text.RegularExpressions.Regex.IsMatch(kr.Title, $@"(?<![\d.]){System.Text.RegularExpressions.Regex.Escape(Fmt.Num(kr.Target))}(?![\d])"),
    };

    private ObjectiveItem Item(CycleBoard board, OrganisationView org, ObjectiveDefinition o, double elapsed, DateTimeOffset now)
    {
        var children = board.ChildrenOf(o.Id);
        var keyResults = children
            .Select(e => board.KeyResult(e.ChildId))
            .OfType<KeyResultDefinition>()
            .Select(k => new KeyResultItem(k, board.ScoreOf(k.Id), TeamTree.OwnerName(org, k.Owner), Rules.ExpectedFor(k.Kind, elapsed)))
            .ToList();
        var childObjectives = children.Count(e => board.Objective(e.ChildId) is not null);
        string? marker = null;
        if (_turned.TryGetValue(o.Id, out var turn) && now - turn.At < MarkerWindow)
            marker = turn.Status == Status.OffTrack ? "▼ just turned off track" : "▼ just turned at risk";
        return new ObjectiveItem(o, board.ScoreOf(o.Id), TeamTree.OwnerName(org, o.Owner), elapsed, keyResults, childObjectives, marker);
    }

    /// <summary>Remembers when an objective's status got worse (to at risk or off track); recovering clears it.</summary>
    private void TrackStatusTurns(CycleBoard board, DateTimeOffset now)
    {
        foreach (var o in board.Objectives)
            Turn(o.Id, board.ScoreOf(o.Id)?.Status ?? Status.NoData, now);
        foreach (var (id, turn) in _turned.ToList())
            if (now - turn.At >= MarkerWindow) _turned.Remove(id);
    }

    /// <summary>One objective's status as seen now; returns whether it just turned worse.</summary>
    public bool Turn(string objectiveId, Status status, DateTimeOffset now)
    {
        var worse = _lastStatus.TryGetValue(objectiveId, out var before) && Severity(status) > Severity(before) && Severity(status) > 0;
        if (worse) _turned[objectiveId] = (now, status);
        else if (Severity(status) == 0) _turned.Remove(objectiveId);
        _lastStatus[objectiveId] = status;
        return worse;
    }

    private static int Severity(Status status) => status switch { Status.AtRisk => 1, Status.OffTrack => 2, _ => 0 };
}
