using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Access;
using OkrGrid.Engine.Feed;
using OkrGrid.Engine.Journal;

namespace OkrGrid.Engine;

[GenerateSerializer, Alias("okr.state.kpi-record")]
public sealed class KpiRecord
{
    [Id(0)] public KpiDefinition? Definition { get; set; }
    [Id(1)] public HashSet<string> LinkedKeyResults { get; set; } = [];
    /// <summary>The company the KPI belongs to (its catalogue); empty in KPIs defined before it was kept.</summary>
    [Id(2)] public string CompanyId { get; set; } = "";
}

/// <summary>
/// A KPI. Its definition and the key results linked to it are grain state; its measurements are journal facts.
/// A new measurement is pushed (one-way) to every linked key result, which takes the latest value as its own.
/// </summary>
public sealed class KpiGrain(
    [PersistentState("kpi", StorageNames.Okr)] IPersistentState<KpiRecord> state,
    IJournal journal, ChangeFeedPublisher feed, [FromKeyedServices(EngineClock.Key)] TimeProvider clock, LocalScores localScores)
    : Grain, IKpiGrain
{
    private static readonly TimeSpan FutureSkew = TimeSpan.FromMinutes(5);
    private const int RecentCount = 50;

    private readonly List<Measurement> _measurements = [];
    private readonly Dictionary<string, Measurement> _byId = [];
    private Measurement? _latest;
    /// <summary>The measurements as the timeline a scorecard as of an instant reads for the key results linked here.</summary>
    private CheckInTimeline _timeline = CheckInTimeline.Empty;
    private KpiState _state = null!;

    private string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Definition is not null)
        {
            foreach (var e in await journal.LoadAsync(Id))
                Apply(new Measurement(e.EntryId, e.Value, e.At, e.Note, e.Author, e.Actor, e.Via));
            localScores.SetCheckIns(Id, _timeline);
        }
        _state = Derive(Versions.Next(0));
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        localScores.Remove(Id);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    private KpiDefinition Definition => state.State.Definition ?? throw NoSuchKpi();

    private OkrRejectedException NoSuchKpi()
    {
        DeactivateOnIdle();
        return OkrRejectedException.NotFound("kpiId", Id);
    }

    async Task IKpiGrain.DefineAsync(KpiDefinition definition, string companyId)
    {
        state.State.Definition = definition with { Id = Id };
        state.State.CompanyId = companyId;
        await state.WriteStateAsync();
        Publish();
    }

    async Task IKpiGrain.DeleteAsync()
    {
        _ = Definition;
        if (state.State.LinkedKeyResults.Count > 0)
            throw OkrRejectedException.Conflict("kpiId", $"KPI '{Id}' feeds {state.State.LinkedKeyResults.Count} key result(s): {string.Join(", ", state.State.LinkedKeyResults.Order().Take(5))}; unlink them first.");
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    async Task<MeasurementResult> IKpiGrain.RecordAsync(Measurement measurement, Actor? actor)
    {
        var definition = Definition;
        await AccessChecks.EnsureMayCheckInAsync(GrainFactory, state.State.CompanyId, actor, definition.Owner, "kpiId", "a KPI");
        if (actor is not null) measurement = measurement with { Author = actor.Name, AuthorId = actor.Id, Via = actor.Via };
        if (_byId.TryGetValue(Check.ClientId("clientId", measurement.ClientId), out var earlier))
        {
            Idempotent.EnsureSame(earlier.ClientId, (earlier.Value, (double?)null, earlier.Note, earlier.At), (measurement.Value, null, measurement.Note, measurement.At));
            return new MeasurementResult(false, _state);
        }
        var m = Validate(measurement);
        if (!await journal.AppendAsync(new JournalEntry(Id, m.ClientId, m.Value, null, m.Note, m.Author, m.At, m.AuthorId, m.Via)))
        {
            // Committed before without this activation knowing (a lost acknowledgement, another activation): apply it.
            if (await journal.GetAsync(Id, m.ClientId) is { } stored)
            {
                var committed = new Measurement(stored.EntryId, stored.Value, stored.At, stored.Note, stored.Author, stored.Actor, stored.Via);
                Apply(committed);
                Publish();
                Idempotent.EnsureSame(committed.ClientId, (committed.Value, null, committed.Note, committed.At), (measurement.Value, null, measurement.Note, measurement.At));
            }
            return new MeasurementResult(false, _state);
        }
        Apply(m);
        Publish();
        return new MeasurementResult(true, _state);
    }

    private Measurement Validate(Measurement m)
    {
        var id = Check.ClientId("clientId", m.ClientId);
        Check.Number("value", m.Value);
        var note = Check.Text("note", m.Note, Check.MaxNote);
        var author = Check.Text("author", m.Author, Check.MaxName);
        var now = clock.GetUtcNow();
        var at = Check.Instant(m.At == default ? now : m.At);
        if (at > now + FutureSkew) throw OkrRejectedException.Invalid("at", "must not be in the future.");
        return new Measurement(id, m.Value, at, note, author, Check.Text("authorId", m.AuthorId, Check.MaxName), Check.Text("via", m.Via, Check.MaxName));
    }

    private void Apply(Measurement m)
    {
        if (!_byId.TryAdd(m.ClientId, m)) return;
        _measurements.Add(m);
        if (_latest is null || m.At >= _latest.At) _latest = m;
        _timeline = _timeline.Append(m.At, m.Value);
        localScores.SetCheckIns(Id, _timeline);
    }

    private KpiState Derive(long version)
    {
        var def = state.State.Definition;
        var latest = _latest?.Value;
        return def is null
            ? new KpiState(Id, version, null, null, Health.NoData, false)
            : new KpiState(Id, version, latest, _latest?.At,
                Rules.KpiHealth(def.Direction, def.Thresholds, latest), Rules.BelowBaseline(def.Direction, def.Baseline, latest));
    }

    /// <summary>Publishes the new state and pushes it one-way to the linked key results.</summary>
    private void Publish()
    {
        _state = Derive(Versions.Next(_state.Version));
        feed.Publish(new NodeChange(Id, NodeKind.Kpi, null, _state.Version, null, _state, clock.GetUtcNow()));
        foreach (var kr in state.State.LinkedKeyResults)
            _ = GrainFactory.GetGrain<IKeyResultGrain>(kr).OnKpiChangedAsync(_state);
    }

    Task<KpiView> IKpiGrain.GetViewAsync()
    {
        var recent = _measurements.OrderByDescending(m => m.At).Take(RecentCount).Reverse().ToImmutableArray();
        return Task.FromResult(new KpiView(Definition, _state, state.State.LinkedKeyResults.Order().ToImmutableArray(), recent));
    }

    Task<ImmutableArray<Measurement>> IKpiGrain.GetHistoryAsync()
    {
        _ = Definition;
        return Task.FromResult(_measurements.OrderBy(m => m.At).ToImmutableArray());
    }

    Task<KpiState> IKpiGrain.GetStateAsync()
    {
        _ = Definition;
        return Task.FromResult(_state);
    }

    async Task<KpiState> IKpiGrain.LinkAsync(string keyResultId)
    {
        _ = Definition;
        if (state.State.LinkedKeyResults.Add(keyResultId)) await state.WriteStateAsync();
        return _state;
    }

    async Task IKpiGrain.LinkManyAsync(ImmutableArray<string> keyResultIds)
    {
        _ = Definition;
        var added = false;
        foreach (var id in keyResultIds) added |= state.State.LinkedKeyResults.Add(id);
        if (added) await state.WriteStateAsync();
    }

    async Task IKpiGrain.UnlinkAsync(string keyResultId)
    {
        if (state.State.LinkedKeyResults.Remove(keyResultId)) await state.WriteStateAsync();
    }
}
