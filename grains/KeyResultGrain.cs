using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Access;
using OkrGrid.Engine.Feed;
using OkrGrid.Engine.Journal;

namespace OkrGrid.Engine;

/// <summary>
/// A key result. Its facts — check-ins — live in the journal and are read back when it activates; its score is
/// derived. A check-in is acknowledged only after the journal committed it, then the new score is forwarded up.
/// </summary>
public sealed class KeyResultGrain(IOptions<EngineOptions> options, [FromKeyedServices(EngineClock.Key)] TimeProvider clock, ChangeFeedPublisher feed, LocalScores localScores, IJournal journal)
    : NodeGrainBase(options, clock, feed, localScores), IKeyResultGrain
{
    /// <summary>How far ahead of the server's clock a check-in may be dated (clients' clocks drift).</summary>
    private static readonly TimeSpan FutureSkew = TimeSpan.FromMinutes(5);

    private KeyResultSetup? _setup;
    /// <summary>Durable check-ins in commit order (the history); replaced, never changed in place.</summary>
    private CheckIn[] _checkIns = [];
    /// <summary>The same check-ins as the compact timeline a scorecard as of an instant reads (see <see cref="LocalScores.SetCheckIns"/>).</summary>
    private CheckInTimeline _timeline = CheckInTimeline.Empty;
    /// <summary>Made at the first check-in: early in a cycle most key results have none, and an empty dictionary was 80 bytes of every active one.</summary>
    private Dictionary<string, CheckIn>? _checkInsById;
    private CheckIn? _latest;
    private CheckIn? _latestConfident;
    private KpiState? _kpi;

    protected override string? CycleId => _setup?.Definition.CycleId;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (NodeIds.CycleOf(Id) is { } cycleId)
        {
            _setup = await GrainFactory.GetGrain<ICycleGrain>(cycleId).GetKeyResultSetupAsync(Id);
            if (_setup is not null)
            {
                ParentIds = _setup.ObjectiveId is { } p ? [p] : [];
                if (_setup.Definition.KpiId is { } kpiId) _kpi = await LinkKpiAsync(kpiId);
                Apply([.. (await journal.LoadAsync(Id)).Select(e => new CheckIn(e.EntryId, e.Value, e.Confidence, e.Note, e.Author, e.At, null, e.Actor, e.Via))]);
                // Published even when empty: "no check-in yet" is a fact too, and saves time travel a journal probe.
                LocalScores.SetCheckIns(Id, _timeline);
            }
        }
        Initialize();
    }

    Task<NodeScore> IScoredNode.GetScoreAsync() => Task.FromResult(CurrentScore("keyResultId"));

    async Task<CheckInResult> IKeyResultGrain.CheckInAsync(CheckIn checkIn, Actor? actor)
    {
        var setup = _setup ?? throw NotFound("keyResultId");
        await AccessChecks.EnsureMayCheckInAsync(GrainFactory, setup.CompanyId, actor, setup.Definition.Owner, "keyResultId", "a key result");
        if (actor is not null) checkIn = checkIn with { Author = actor.Name, AuthorId = actor.Id, Via = actor.Via };
        // A retry (same client id) is answered with the score as it is, and applies nothing; the same id with other
        // content is a client bug that must not pass for a retry: its new value would silently be dropped.
        if (_checkInsById is not null && _checkInsById.TryGetValue(Check.ClientId("clientId", checkIn.ClientId), out var earlier))
        {
            Idempotent.EnsureSame(earlier.ClientId, (earlier.Value, earlier.Confidence, earlier.Note, earlier.At),
                (checkIn.Value, checkIn.Confidence, checkIn.Note, checkIn.At));
            return new CheckInResult(false, CurrentScore("keyResultId"));
        }
        var valid = Validate(checkIn, setup);

        var entry = new JournalEntry(Id, valid.ClientId, valid.Value, valid.Confidence, valid.Note, valid.Author, valid.At, valid.AuthorId, valid.Via);
        if (!await journal.AppendAsync(entry))
        {
            // Committed by an earlier attempt this activation has not applied: another activation's, or this one's
            // whose acknowledgement was lost (the commit went through, the answer did not). Take it from the journal,
            // so the score and the history have it now rather than at the next activation.
            if (await journal.GetAsync(Id, valid.ClientId) is { } stored)
            {
                var committed = new CheckIn(stored.EntryId, stored.Value, stored.Confidence, stored.Note, stored.Author, stored.At, null, stored.Actor, stored.Via);
                Apply([committed]);
                Flush();
                Idempotent.EnsureSame(committed.ClientId, (committed.Value, committed.Confidence, committed.Note, committed.At),
                    (checkIn.Value, checkIn.Confidence, checkIn.Note, checkIn.At));
            }
            return new CheckInResult(false, CurrentScore("keyResultId"));
        }
        Apply([valid]);
        if (checkIn.TraceId is { } trace) AddTraces([trace]);
        // A key result publishes each check-in at once (its parents coalesce bursts): the answer then carries the
        // version of the score that includes this check-in, and a read right after the answer returns that score.
        Flush();
        return new CheckInResult(true, Published!);
    }

    private CheckIn Validate(CheckIn c, KeyResultSetup setup)
    {
        if (setup.Window.Closed)
            throw OkrRejectedException.Conflict("cycle", $"cycle '{setup.Definition.CycleId}' is closed; reopen it to correct a check-in.");
        if (setup.Definition.Kind == KeyResultKind.KpiLinked)
            throw OkrRejectedException.Invalid("value", $"this key result takes its value from KPI '{setup.Definition.KpiId}'; record a measurement there.");
        var id = Check.ClientId("clientId", c.ClientId);
        Check.Number("value", c.Value);
        if (setup.Definition.Kind == KeyResultKind.Milestone && c.Value is not (0 or 1))
            throw OkrRejectedException.Invalid("value", "a milestone check-in is 0 (not done) or 1 (done).");
        var confidence = Check.Confidence("confidence", c.Confidence);
        var note = Check.Text("note", c.Note, Check.MaxNote);
        var author = Check.Text("author", c.Author, Check.MaxName);
        var now = Clock.GetUtcNow();
        var at = Check.Instant(c.At == default ? now : c.At);
        if (at > now + FutureSkew) throw OkrRejectedException.Invalid("at", "must not be in the future.");
        if (at < setup.Window.Start) throw OkrRejectedException.Invalid("at", $"must not be before the cycle starts ({setup.Window.Start:yyyy-MM-dd}).");
        return new CheckIn(id, c.Value, confidence, note, author, at, null, Check.Text("authorId", c.AuthorId, Check.MaxName), Check.Text("via", c.Via, Check.MaxName));
    }

    /// <summary>Applies durable check-ins (a retry's is skipped) and publishes the new list for time travel.</summary>
    private void Apply(IReadOnlyList<CheckIn> checkIns)
    {
        var added = new List<CheckIn>(checkIns.Count);
        foreach (var c in checkIns)
        {
            if (!(_checkInsById ??= []).TryAdd(c.ClientId, c)) continue;
            added.Add(c);
            // The same rule as KeyResultInput.FromCheckIns, kept incrementally: latest by time, later arrival wins ties.
            if (_latest is null || c.At >= _latest.At) _latest = c;
            if (c.Confidence is not null && (_latestConfident is null || c.At >= _latestConfident.At)) _latestConfident = c;
        }
        if (added.Count == 0) return;
        _checkIns = [.. _checkIns, .. added];
        _timeline = _timeline.Append(added);
        LocalScores.SetCheckIns(Id, _timeline);
    }

    Task<KeyResultView> IKeyResultGrain.GetViewAsync()
    {
        var setup = _setup ?? throw NotFound("keyResultId");
        var input = Input(setup);
        var elapsed = Rules.ExpectedProgress(setup.Window.Start, setup.Window.End, Clock.GetUtcNow());
        return Task.FromResult(new KeyResultView(setup.Definition, CurrentScore("keyResultId"), setup.ObjectiveId, setup.Weight,
            input.Current, Rules.ExpectedFor(setup.Definition.Kind, elapsed), _checkIns.Length));
    }

    Task<ImmutableArray<CheckIn>> IKeyResultGrain.GetHistoryAsync()
    {
        if (_setup is null) throw NotFound("keyResultId");
        return Task.FromResult(_checkIns.OrderBy(c => c.At).ToImmutableArray());
    }

    async Task IKeyResultGrain.ApplySetupAsync(KeyResultSetup? setup)
    {
        var old = _setup;
        _setup = setup;
        var oldKpi = old?.Definition.KpiId;
        var newKpi = setup?.Definition.KpiId;
        if (oldKpi is not null && oldKpi != newKpi) await GrainFactory.GetGrain<IKpiGrain>(oldKpi).UnlinkAsync(Id);
        if (newKpi is not null && newKpi != oldKpi) _kpi = await LinkKpiAsync(newKpi);
        if (newKpi is null) _kpi = null;
        if (setup is null)
        {
            ParentIds = [];
            DeactivateOnIdle();
            return;
        }
        var oldParents = ParentIds;
        ParentIds = setup.ObjectiveId is { } p ? [p] : [];
        Flush();
        SendToParents(ParentIds.Except(oldParents));
    }

    Task IKeyResultGrain.OnKpiChangedAsync(KpiState state)
    {
        if (_setup?.Definition.KpiId != state.KpiId) return Task.CompletedTask;
        if (_kpi is not null && _kpi.Version >= state.Version) return Task.CompletedTask;
        _kpi = state;
        Touch();
        return Task.CompletedTask;
    }

    /// <summary>Registers with the KPI (idempotent, so a link lost in a crash heals on activation).</summary>
    private async Task<KpiState?> LinkKpiAsync(string kpiId)
    {
        try { return await Transient.RetryAsync(() => GrainFactory.GetGrain<IKpiGrain>(kpiId).LinkAsync(Id)); }
        catch (OkrRejectedException) { return null; } // the KPI was deleted: no value
    }

    private KeyResultInput Input(KeyResultSetup setup)
    {
        var kr = setup.Definition;
        if (kr.Kind == KeyResultKind.KpiLinked) return KeyResultInput.FromKpi(kr, _kpi?.Latest, null);
        return _latest is null ? KeyResultInput.Initial(kr) : new KeyResultInput(_latest.Value, true, _latestConfident?.Confidence);
    }

    /// <summary>Only a status against the moving pace moves: not without a value, not frozen, not a level to hold.</summary>
    protected override bool MovesWithTime(NodeScore score) =>
        _setup is { Frozen: null } setup && !score.NoData && Rules.PaceMoves(setup.Definition.Kind);

    protected override NodeScore? Compute()
    {
        if (_setup is not { } setup) return null;
        if (setup.Frozen is { } frozen) return frozen;
        var input = Input(setup);
        var elapsed = Rules.ExpectedProgress(setup.Window.Start, setup.Window.End, Clock.GetUtcNow());
        return Rules.ScoreKeyResult(setup.Definition, input.Current, input.HasValue, input.Confidence, elapsed, setup.Policy);
    }
}
