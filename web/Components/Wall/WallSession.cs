using System.Security.Claims;
using OkrGrid.Web.Components.Shared;
using OkrGrid.Web.Views;

namespace OkrGrid.Web.Components.Wall;

/// <summary>What the wall's address asks for: a team (or the company), a wall link, a rotation, a past instant.</summary>
public sealed record WallRequest(string? Team, string? Link, int? Rotate, string? At);

/// <summary>
/// The wall's way to the engine: a <see cref="WallSession"/> per wall page. The page injects this, never the board,
/// the history or the token store. Scoped (one per circuit).
/// </summary>
public sealed class WallService(LiveBoard live, HistoryReader history, AccessTokens tokens, [FromKeyedServices(EngineClock.Key)] TimeProvider clock)
{
    /// <summary>
    /// The state of one wall page. <paramref name="follow"/> hears what the page should follow live (frozen: a past
    /// instant, nothing; else the cycle) and which ids; <paramref name="invoke"/> runs work on the page's dispatcher and
    /// <paramref name="changed"/> re-renders it — both for what its timers do (rotate, retry, re-check the link).
    /// Timers run only when <paramref name="interactive"/> (a prerender has nobody to show them to).
    /// </summary>
    public WallSession Open(WallFollow follow, Func<Func<Task>, Task> invoke, Action changed, bool interactive) =>
        new(live, history, tokens, clock, follow, invoke, changed, interactive);
}

/// <summary>
/// Tells the page what to follow live: nothing while <paramref name="frozen"/> (a past instant), else the cycle's
/// structure and, when not null, these ids (null: the ones it follows already).
/// </summary>
public delegate void WallFollow(bool frozen, string? cycleId, IEnumerable<string>? ids);

/// <summary>
/// One wall page: who may look (a wall link decides its scorecard and is re-checked while the wall is up), the
/// organisation and cycle at the instant shown, the scorecards in rotation and the one shown, its composition
/// (<see cref="WallScorecard"/>) and a team's latest check-ins (<see cref="WallFeed"/>). A kiosk nobody touches: when
/// the engine is still starting it tries again by itself, and a rotation moves on by itself. Not thread-safe: every
/// call runs on the page's dispatcher.
/// </summary>
public sealed class WallSession : IDisposable
{
    /// <summary>How many check-ins are read from history when a team's wall opens (more than a column shows).</summary>
    private const int FeedOnLoad = 16;

    /// <summary>How often an open wall checks that its link still works (a revocation on this host shows at once).</summary>
    private static readonly TimeSpan LinkCheckEvery = TimeSpan.FromSeconds(10);

    private readonly LiveBoard _live;
    private readonly HistoryReader _history;
    private readonly AccessTokens _tokens;
    private readonly TimeProvider _clock;
    private readonly WallFollow _follow;
    private readonly Func<Func<Task>, Task> _invoke;
    private readonly Action _changed;
    private readonly bool _interactive;

    /// <summary>The latest check-ins: read from history on load, and again for each key result that changes while the wall is up.</summary>
    private readonly WallFeed _feed = new();
    private ScorecardScope? _feedScope;
    private OrganisationView? _org;
    private ImmutableArray<KpiView> _allKpis = [];
    private WallRequest _request = new(null, null, null, null);
    private string? _linkId;
    /// <summary>The cycle whose structural changes the page follows (none while frozen).</summary>
    private string? _watchedCycle;
    private Timer? _rotation;
    private Timer? _retry;
    private Timer? _linkCheck;

    internal WallSession(LiveBoard live, HistoryReader history, AccessTokens tokens, TimeProvider clock, WallFollow follow,
        Func<Func<Task>, Task> invoke, Action changed, bool interactive)
    {
        _live = live;
        _history = history;
        _tokens = tokens;
        _clock = clock;
        _follow = follow;
        _invoke = invoke;
        _changed = changed;
        _interactive = interactive;
        _tokens.Revoked += OnRevoked;
    }

    /// <summary>What this scorecard shows and where (the wall's composition); the page renders it.</summary>
    public WallScorecard Scorecard { get; } = new();
    public CycleBoard? Board { get; private set; }
    public IReadOnlyList<ScorecardScope> Scopes { get; private set; } = [ScorecardScope.Company];
    public ScorecardScope Scope { get; private set; } = ScorecardScope.Company;
    public string? Title { get; private set; }
    /// <summary>Why there is no scorecard to show (no cycle, an unknown team, a past instant without one).</summary>
    public string? Problem { get; private set; }
    /// <summary>Whether the page shows the wall: a working wall link, or someone signed in.</summary>
    public bool Allowed { get; private set; }
    /// <summary>Set instead, when there is nobody signed in and no link: the page sends the visitor to sign in.</summary>
    public bool NeedsSignIn { get; private set; }
    /// <summary>Why the wall link does not work; the page says so and shows nothing else.</summary>
    public string? Refusal { get; private set; }
    /// <summary>The past instant shown; null while live.</summary>
    public DateTimeOffset? AsOf { get; private set; }
    /// <summary>True while a past instant is shown: nothing live updates it.</summary>
    public bool Frozen { get; private set; }
    /// <summary>Seconds between scorecards while rotating (the company's, then each team's); null when not rotating.</summary>
    public int? RotateEvery { get; private set; }
    /// <summary>Scorecards shown by the rotation so far (its progress bar starts again with each).</summary>
    public int Rotations { get; private set; }
    /// <summary>Whether the page came through a wall link (no way out of the kiosk then).</summary>
    public bool ThroughLink => _request.Link is not null;

    /// <summary>The instant the wall's figures are of (expected pace, cycle week): the past one, or now.</summary>
    public DateTimeOffset ShownAt => AsOf ?? _clock.GetUtcNow();

    public DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>The wall as the address asks for it, for this visitor: admitted, loaded, and rotating if asked.</summary>
    public async Task ShowAsync(WallRequest request, ClaimsPrincipal user)
    {
        _request = request;
        if (!await AdmitAsync(user)) return;
        await LoadAsync();
        RotateEvery = _request.Team is null && _request.Link is null && _request.Rotate is > 0 ? Math.Max(5, _request.Rotate.Value) : null;
        _rotation?.Dispose();
        _rotation = RotateEvery is { } s && _interactive
            ? new Timer(_ => RotateNext(), null, TimeSpan.FromSeconds(s), TimeSpan.FromSeconds(s))
            : null;
    }

    /// <summary>A live change the page heard: the board again if its structure or the organisation changed, else the feed.</summary>
    public async Task OnLiveChangeAsync(LiveChange change)
    {
        if (!Allowed) return;
        if (change.Structure || change.Organisation || Board is null)
        {
            await LoadAsync();
            return;
        }
        // A key result of this scorecard changed: its newest check-ins join the feed.
        var changed = change.Nodes.Where(Scorecard.ScopeKeyResults.Contains).ToList();
        if (changed.Count > 0 && AsOf is null) await ReadFeedAsync(changed, 3);
        Compose();
    }

    /// <summary>How a scorecard is named in the rotation's list.</summary>
    public string ScopeName(ScorecardScope scope) => scope.IsCompany ? "Company" : _org is null ? scope.TeamId! : Scorecards.TitleOf(_org, scope);

    /// <summary>
    /// Who may look: with a wall link, its scorecard and nothing else, while the link works; without one, anyone signed
    /// in (a signed-out visitor is sent to the sign-in page).
    /// </summary>
    private async Task<bool> AdmitAsync(ClaimsPrincipal? user)
    {
        if (_request.Link is not { } link)
        {
            Allowed = user?.Identity?.IsAuthenticated == true && user.Get(OkrClaims.Kind) is OkrClaims.KindUser or OkrClaims.KindService or OkrClaims.KindAnonymous;
            NeedsSignIn = !Allowed;
            return Allowed;
        }
        var check = await _tokens.CheckAsync(link, [TokenKind.Wall], default);
        if (!check.Ok)
        {
            Refusal = $"This wall link {check.Reason}";
            Allowed = false;
            Board = null;
            _linkCheck?.Dispose();
            return false;
        }
        Allowed = true;
        _linkId = check.Token!.Id;
        var scope = check.Token.WallScope!;
        var linkTeam = scope.StartsWith("team:", StringComparison.Ordinal) ? scope[5..] : null;
        // The link decides the scorecard, whatever else the address says.
        _request = _request with { Team = linkTeam };
        if (linkTeam is null) Scope = ScorecardScope.Company;
        _linkCheck ??= _interactive ? new Timer(_ => _ = _invoke(RecheckLinkAsync), null, LinkCheckEvery, LinkCheckEvery) : null;
        return true;
    }

    private async Task RecheckLinkAsync()
    {
        if (_request.Link is null || Refusal is not null) return;
        if (!await AdmitAsync(null)) _changed();
    }

    private void OnRevoked(string tokenId)
    {
        if (tokenId == _linkId) _ = _invoke(RecheckLinkAsync);
    }

    /// <summary>Reads the organisation, the cycle at the instant shown, its KPIs and — for a team — its latest check-ins.</summary>
    private async Task LoadAsync()
    {
        try
        {
            _org = await _live.GetOrganisationAsync();
            // The cycle current at the instant shown (or now).
            var view = await _live.ViewCycleAsync(null, _request.At);
            if (view is null)
            {
                Problem = "No cycle yet: objectives appear here once a cycle is set up.";
                Title = _org.CompanyName;
                return;
            }
            // A past instant is static: nothing live is followed (or overwrites it) while it is shown.
            Frozen = !view.IsLive;
            _watchedCycle = Frozen ? null : view.Cycle.Id;
            _follow(Frozen, _watchedCycle, null);
            if (view.Board is null)
            {
                Problem = Shared.AsOf.Problem(view.Problem ?? "");
                if (_request.Team is { } asked) Scope = new ScorecardScope(asked);
                Title = Scorecards.TitleOf(_org, Scope);
                Board = null;
                AsOf = null;
                return;
            }
            Board = view.Board;
            AsOf = view.At;
            _allKpis = AsOf is { } at ? await _live.GetKpisAtAsync(at) : await _live.GetKpisAsync();
            Problem = null;
            Scopes = [ScorecardScope.Company, .. TeamTree.Ordered(_org.Teams)
                .Where(t => Scorecards.TeamObjectives(Board, _org, t.Team.Id).Count > 0)
                .Select(t => new ScorecardScope(t.Team.Id))];
            if (_request.Team is { } team)
            {
                if (_org.Teams.All(t => t.Id != team))
                {
                    Problem = $"There is no team \"{team}\". Open /wall for the company, or a team from the team list.";
                    return;
                }
                Scope = new ScorecardScope(team);
            }
            else if (!Scopes.Contains(Scope)) Scope = ScorecardScope.Company;
            Compose();
            await ReadFeedOnceAsync();
        }
        catch (Exception) when (Board is null)
        {
            // The engine is still starting: try again shortly (a kiosk must come up by itself).
            _retry?.Dispose();
            if (_interactive)
                _retry = new Timer(_ => _ = _invoke(async () => { await LoadAsync(); _changed(); }), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>A team's latest check-ins from history, read once per scorecard shown (live ones are added as they land).</summary>
    private async Task ReadFeedOnceAsync()
    {
        if (Scope.IsCompany || AsOf is not null || _feedScope == Scope) return;
        _feedScope = Scope;
        await ReadFeedAsync(Scorecard.ScopeKeyResults, FeedOnLoad);
        Compose();
    }

    private async Task ReadFeedAsync(IEnumerable<string> keyResults, int count)
    {
        if (Board is not { } board) return;
        try
        {
            var read = await _history.LatestCheckInsAsync(keyResults, count);
            _feed.Add(read.Select(r => board.KeyResult(r.KeyResultId) is { } kr ? WallUpdate.Of(kr, r.CheckIn) : null).OfType<WallUpdate>());
        }
        catch (Exception) when (_feed.Updates.Count == 0)
        {
            // The feed is the one thing history feeds; the scorecard stands without it and the next check-in fills it.
        }
    }

    private void Compose()
    {
        if (Board is not { } board || _org is not { } org) return;
        Scorecard.Compose(board, org, _allKpis, Scope, _feed, ShownAt, past: AsOf is not null);
        Title = Scorecard.Title;
        _follow(Frozen, _watchedCycle, Scorecard.Watched);
    }

    private void RotateNext()
    {
        _ = _invoke(async () =>
        {
            if (Scopes.Count < 2) return;
            var i = Scopes.ToList().IndexOf(Scope);
            Scope = Scopes[(i + 1) % Scopes.Count];
            Rotations++;
            Compose();
            _changed();
            await ReadFeedOnceAsync();
            _changed();
        });
    }

    public void Dispose()
    {
        _tokens.Revoked -= OnRevoked;
        _rotation?.Dispose();
        _retry?.Dispose();
        _linkCheck?.Dispose();
    }
}
