using System.Collections.Concurrent;

namespace OkrGrid.Web.Live;

/// <summary>What a batch from the change feed changed, as the board's listeners (pages, hub pushes) see it.</summary>
/// <param name="Changes">Score and KPI changes, already applied to the board.</param>
/// <param name="StructureChangedCycles">Cycles whose structure was re-read: re-read their <see cref="CycleBoard"/>.</param>
/// <param name="OrganisationChanged">Teams, people, cycles or KPIs changed: re-read the organisation.</param>
/// <param name="Scenarios">Planner scenarios that changed (name, moves or state); null: none.</param>
public sealed record LiveBatch(ImmutableArray<NodeChange> Changes, ImmutableHashSet<string> StructureChangedCycles, bool OrganisationChanged,
    IReadOnlySet<string>? Scenarios = null);

/// <summary>
/// A cycle as a page shows it (<see cref="LiveBoard.ViewCycleAsync"/>). Live (<see cref="At"/> and <see cref="Problem"/> null):
/// <see cref="Board"/> is the live board. Past: the board as of <see cref="At"/>, which nothing updates. <see cref="Problem"/>:
/// why the instant asked for cannot be shown (no board). An instant may be picked from <see cref="Earliest"/> to <see cref="Now"/>.
/// </summary>
public sealed record CycleView(CycleInfo Cycle, CycleBoard? Board, DateTimeOffset? At, string? Problem, DateTimeOffset Earliest, DateTimeOffset Now)
{
    public bool IsLive => At is null && Problem is null;
}

/// <summary>
/// This host's live model of what dashboards show, fed by its change-feed observer (<see cref="HostChangeFeed"/>):
/// the organisation, each cycle a page asked for (structure + live scores) and the KPIs. Pages and the hub read it
/// instead of calling grains on every render, and hear of changes through <see cref="Changed"/>; nobody polls.
/// </summary>
public sealed class LiveBoard(IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock, ILogger<LiveBoard> logger)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CycleEntry> _cycles = [];
    private readonly ConcurrentDictionary<string, KpiState> _kpiStates = new();
    private Task<OrganisationView>? _organisation;
    private Task<ImmutableArray<KpiView>>? _kpis;
    private long _lastChangeTicks;

    /// <summary>Raised after a batch was applied, off any UI thread. Handlers must be quick (hand over, don't work).</summary>
    public event Action<LiveBatch>? Changed;

    /// <summary>When the last change reached this host.</summary>
    public DateTimeOffset? LastChangeAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastChangeTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>True while this host's change-feed subscription is renewed.</summary>
    public bool FeedConnected { get; internal set; }

    /// <summary>True once the feed was subscribed and the board re-read after it settled: from then on nothing is missed.</summary>
    public bool Ready { get; internal set; }

    public Task<OrganisationView> GetOrganisationAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_organisation is null || _organisation.IsFaulted || _organisation.IsCanceled)
                _organisation = grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
            return _organisation.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The open cycle containing now; else the latest that has started; else the first; null with no cycles.</summary>
    public async Task<CycleInfo?> GetCurrentCycleAsync(CancellationToken cancellationToken = default) =>
        Cycles.Current((await GetOrganisationAsync(cancellationToken)).Cycles, clock.GetUtcNow());

    /// <summary>
    /// The cycle's board: read once, then kept live. A cycle the company does not have is refused (OkrRejectedException,
    /// not found) without being read or kept — else anyone could make the host follow made-up cycles for ever.
    /// </summary>
    public async Task<CycleBoard> GetCycleAsync(string cycleId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(cycleId) || (await GetOrganisationAsync(cancellationToken)).Cycles.All(c => c.Id != cycleId))
            throw OkrRejectedException.NotFound("cycleId", cycleId);
        return await GetKnownCycleAsync(cycleId, cancellationToken);
    }

    private Task<CycleBoard> GetKnownCycleAsync(string cycleId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_cycles.TryGetValue(cycleId, out var entry) || entry.Load.IsFaulted || entry.Load.IsCanceled)
            {
                entry = new CycleEntry();
                entry.Load = LoadCycleAsync(cycleId, entry);
                _cycles[cycleId] = entry;
            }
            return entry.Current is { } current ? Task.FromResult(current) : entry.Load.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Every KPI of the company with its definition, recent measurements and latest state.</summary>
    public async Task<ImmutableArray<KpiView>> GetKpisAsync(CancellationToken cancellationToken = default)
    {
        Task<ImmutableArray<KpiView>> load;
        lock (_gate)
        {
            if (_kpis is null || _kpis.IsFaulted || _kpis.IsCanceled) _kpis = LoadKpisAsync();
            load = _kpis;
        }
        var views = await load.WaitAsync(cancellationToken);
        return [.. views.Select(v => _kpiStates.TryGetValue(v.Definition.Id, out var s) && s.Version > v.State.Version ? v with { State = s } : v)];
    }

    public KpiState? KpiStateOf(string kpiId) => _kpiStates.GetValueOrDefault(kpiId);

    /// <summary>
    /// A cycle as a page shows it for its <c>?at=</c> (read as the API reads it): without one, the live board; with one,
    /// the board as of that instant — read once, never kept or updated, since the past does not change. An instant that
    /// cannot be shown (unreadable, in the future, before the cycle existed) gives no board and the reason, for the page
    /// to say. <paramref name="cycleId"/> null: the cycle that was current at the instant (or now), so a link to a past
    /// instant keeps showing its quarter after the next one starts. Null when the company has no cycle; an unknown
    /// cycle is refused (not found, "cycleId") like <see cref="GetCycleAsync"/>.
    /// </summary>
    public async Task<CycleView?> ViewCycleAsync(string? cycleId, string? at, CancellationToken cancellationToken = default)
    {
        DateTimeOffset? instant = null;
        string? problem = null;
        try { instant = Require.InstantQuery(at, "at"); }
        catch (OkrRejectedException e) { problem = e.Reason; }

        var organisation = await GetOrganisationAsync(cancellationToken);
        var cycle = cycleId is null
            ? Cycles.Current(organisation.Cycles, instant ?? clock.GetUtcNow())
            : organisation.Cycles.FirstOrDefault(c => c.Id == cycleId) ?? throw OkrRejectedException.NotFound("cycleId", cycleId);
        if (cycle is null) return null;
        var grain = grains.GetGrain<ICycleGrain>(cycle.Id);
        // A slider starts where there is something to see: the cycle's first structure, or its start when that is later.
        var created = await grain.GetCreatedAtAsync().WaitAsync(cancellationToken);
        var earliest = created > cycle.Definition.Start ? created : cycle.Definition.Start;
        var now = clock.GetUtcNow();
        if (problem is not null) return new CycleView(cycle, null, null, problem, earliest, now);
        if (instant is not { } past) return new CycleView(cycle, await GetKnownCycleAsync(cycle.Id, cancellationToken), null, null, earliest, now);
        try
        {
            var board = new CycleBoard(await grain.GetSnapshotAtAsync(past).WaitAsync(cancellationToken));
            return new CycleView(board.Cycle, board, past, null, earliest, now);
        }
        catch (OkrRejectedException e) when (e.Field == "at")
        {
            return new CycleView(cycle, null, past, Readable(e.Reason), earliest, now);
        }
    }

    private static readonly System.Text.RegularExpressions.Regex IsoInstant = new(@"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b");

    /// <summary>The engine's refusal of an instant with its instants as people read them ("5 Dec 2026, 17:35:32 UTC").</summary>
    private static string Readable(string reason) => IsoInstant.Replace(reason, m =>
        DateTimeOffset.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal)
            .ToString("d MMM yyyy, HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// The KPIs as they stood at <paramref name="at"/>, by the rule the cycle's snapshot applies to check-ins: each one's
    /// latest measurement dated at or before it (with the ones before it as <see cref="KpiView.Recent"/>), its health
    /// derived from that as the KPI derives it. A KPI with no measurement by then had nothing to show and is left out.
    /// Thresholds and baseline are today's: a KPI's definition keeps no history.
    /// </summary>
    public async Task<ImmutableArray<KpiView>> GetKpisAtAsync(DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var organisation = await GetOrganisationAsync(cancellationToken);
        var views = await Task.WhenAll(organisation.Kpis.Select(async k =>
        {
            try
            {
                var grain = grains.GetGrain<IKpiGrain>(k.Id);
                var view = await grain.GetViewAsync().WaitAsync(cancellationToken);
                return KpiAsOf(view, await grain.GetHistoryAsync().WaitAsync(cancellationToken), at);
            }
            catch (OkrRejectedException) { return null; } // deleted meanwhile
        }));
        return [.. views.OfType<KpiView>()];
    }

    /// <summary>
    /// A KPI's view as of <paramref name="at"/> from its <paramref name="history"/> (oldest first, as the grain gives it);
    /// null when nothing was measured by then. A tie on the date goes to the later recorded, as in the grain.
    /// </summary>
    public static KpiView? KpiAsOf(KpiView view, ImmutableArray<Measurement> history, DateTimeOffset at)
    {
        var before = history.Where(m => m.At <= at).ToList();
        if (before.Count == 0) return null;
        var latest = before[^1];
        var def = view.Definition;
        var state = new KpiState(def.Id, 0, latest.Value, latest.At,
            Rules.KpiHealth(def.Direction, def.Thresholds, latest.Value), Rules.BelowBaseline(def.Direction, def.Baseline, latest.Value));
        // As many recent measurements as the live view holds (the grain keeps a fixed number).
        return view with { State = state, Recent = [.. before.TakeLast(Math.Max(view.Recent.Length, 1))] };
    }

    /// <summary>Applies a batch from the change feed and tells the listeners. Called one batch at a time.</summary>
    internal void Apply(ImmutableArray<NodeChange> changes)
    {
        var structure = new HashSet<string>();
        var scenarios = new HashSet<string>();
        var organisation = false;
        var kpis = false;
        lock (_gate)
        {
            foreach (var change in changes)
            {
                switch (change.Kind)
                {
                    case NodeKind.Objective or NodeKind.KeyResult when change.Score is { } score && change.CycleId is { } cycleId:
                        if (!_cycles.TryGetValue(cycleId, out var entry)) break;
                        if (entry.Current is { } board) board.Apply(score);
                        else entry.Pending.Add(score); // first read under way: apply once it lands

                        break;
                    case NodeKind.Kpi when change.Kpi is { } state:
                        _kpiStates.AddOrUpdate(state.KpiId, state, (_, held) => held.Version >= state.Version ? held : state);
                        kpis = true;
                        break;
                    case NodeKind.Cycle:
                        structure.Add(change.NodeId);
                        break;
                    case NodeKind.Organisation:
                        organisation = true;
                        break;
                    case NodeKind.Scenario:
                        scenarios.Add(change.NodeId);
                        break;
                }
            }
            if (organisation) _organisation = null;
            if (kpis || organisation) _kpis = null; // recent measurements (and the KPI list) are re-read on demand
        }
        Interlocked.Exchange(ref _lastChangeTicks, DateTimeOffset.UtcNow.UtcTicks);

        var scores = changes.Where(c => c.Kind is NodeKind.Objective or NodeKind.KeyResult or NodeKind.Kpi).ToImmutableArray();
        if (!scores.IsEmpty || organisation || scenarios.Count > 0)
            Raise(new LiveBatch(scores, [], organisation, scenarios.Count > 0 ? scenarios : null));
        foreach (var cycleId in structure) Reload(cycleId, structural: true);
    }

    /// <summary>
    /// Re-reads every cycle on the board and publishes what the feed did not bring (after the host's subscription
    /// was (re)established, changes may have been missed): a screen never stays wrong.
    /// </summary>
    internal void Resync()
    {
        List<string> cycles;
        lock (_gate)
        {
            _organisation = null;
            _kpis = null;
            cycles = [.. _cycles.Keys];
        }
        foreach (var cycleId in cycles) Reload(cycleId, structural: false);
        Raise(new LiveBatch([], [], OrganisationChanged: true));
    }

    private void Reload(string cycleId, bool structural)
    {
        CycleEntry? entry;
        lock (_gate)
        {
            if (!_cycles.TryGetValue(cycleId, out entry)) return; // nobody looks at it: nothing to keep current
            entry.ReloadStructural |= structural;
            if (entry.Reloading) { entry.ReloadAgain = true; return; }
            entry.Reloading = true;
        }
        _ = ReloadLoopAsync(cycleId, entry);
    }

    private async Task ReloadLoopAsync(string cycleId, CycleEntry entry)
    {
        while (true)
        {
            bool structural;
            lock (_gate) { structural = entry.ReloadStructural; entry.ReloadStructural = false; entry.ReloadAgain = false; }
            try
            {
                var snapshot = await grains.GetGrain<ICycleGrain>(cycleId).GetSnapshotAsync();
                CycleBoard? previous;
                CycleBoard next;
                lock (_gate)
                {
                    previous = entry.Current;
                    next = new CycleBoard(snapshot, previous);
                    entry.Current = next;
                    entry.Load = Task.FromResult(next);
                }
                var sameStructure = previous is not null && CycleStructure.Same(previous.Snapshot, snapshot);
                if (structural || !sameStructure)
                    Raise(new LiveBatch([], [cycleId], OrganisationChanged: false));
                else if (Missed(previous!, next, cycleId) is { IsEmpty: false } missed)
                    Raise(new LiveBatch(missed, [], OrganisationChanged: false));
            }
            catch (OkrRejectedException gone) when (gone.Kind == RejectionKind.NotFound)
            {
                // The cycle is gone: stop following it (a page that asks again is told so).
                lock (_gate) { _cycles.Remove(cycleId); entry.Reloading = false; }
                return;
            }
            catch (Exception ex)
            {
                logger.CycleRereadFailed(ex, cycleId);
                await Task.Delay(TimeSpan.FromSeconds(1));
                lock (_gate) entry.ReloadAgain = true;
            }
            lock (_gate)
            {
                if (!entry.ReloadAgain) { entry.Reloading = false; return; }
            }
        }
    }

    /// <summary>Scores the new board holds that are newer than what it had and say something else: changes the feed did not bring.</summary>
    private static ImmutableArray<NodeChange> Missed(CycleBoard previous, CycleBoard next, string cycleId)
    {
        var missed = ImmutableArray.CreateBuilder<NodeChange>();
        foreach (var id in next.Snapshot.Scores.Keys)
            if (next.ScoreOf(id) is { } score && (previous.ScoreOf(id) is not { } had || (had.Version < score.Version && !had.SameAs(score))))
                missed.Add(new NodeChange(id, score.Kind, cycleId, score.Version, score, null, DateTimeOffset.UtcNow));
        return missed.ToImmutable();
    }

    private async Task<CycleBoard> LoadCycleAsync(string cycleId, CycleEntry entry)
    {
        var snapshot = await grains.GetGrain<ICycleGrain>(cycleId).GetSnapshotAsync();
        lock (_gate)
        {
            // Changes may have landed on a reload that finished first; keep whichever is newer per node.
            var board = new CycleBoard(snapshot, entry.Current);
            foreach (var score in entry.Pending) board.Apply(score);
            entry.Pending.Clear();
            entry.Current = board;
            return board;
        }
    }

    private async Task<ImmutableArray<KpiView>> LoadKpisAsync()
    {
        var organisation = await GetOrganisationAsync();
        var views = await Task.WhenAll(organisation.Kpis.Select(async k =>
        {
            try { return await grains.GetGrain<IKpiGrain>(k.Id).GetViewAsync(); }
            catch (OkrRejectedException) { return null; } // deleted meanwhile
        }));
        return [.. views.OfType<KpiView>()];
    }

    private void Raise(LiveBatch batch)
    {
        if (Changed is not { } handlers) return;
        foreach (var handler in handlers.GetInvocationList().Cast<Action<LiveBatch>>())
        {
            try { handler(batch); }
            catch (Exception ex) { logger.ListenerFailed(ex); }
        }
    }

    private sealed class CycleEntry
    {
        public Task<CycleBoard> Load { get; set; } = null!;
        public CycleBoard? Current { get; set; }
        public bool Reloading { get; set; }
        public bool ReloadAgain { get; set; }
        public bool ReloadStructural { get; set; }
        public List<NodeScore> Pending { get; } = [];
    }
}
