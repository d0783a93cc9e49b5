using Microsoft.AspNetCore.Components;

namespace OkrGrid.Web.Components.Shared;

/// <summary>
/// A page (or container) that shows part of the <see cref="LiveBoard"/> and re-renders when — and only when — a
/// change touches what it shows: one of the nodes, KPIs or scenarios it <see cref="Watch"/>es, the structure of its
/// <see cref="WatchedCycle"/>, or the organisation. Re-renders are throttled to four a second; the subscription
/// ends with the component.
/// </summary>
public abstract class LiveComponent : ComponentBase, IDisposable
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);
    private readonly Lock _gate = new();
    private volatile IReadOnlySet<string> _watched = new HashSet<string>();
    private volatile string? _watchedCycle;
    private volatile bool _frozen;
    private bool _scheduled;
    private bool _pendingStructure;
    private bool _pendingOrganisation;
    private HashSet<string> _pendingNodes = [];
    private long _lastRefreshTicks;
    private bool _disposed;

    [Inject] protected LiveBoard Live { get; set; } = null!;
    [Inject(Key = EngineClock.Key)] protected TimeProvider Clock { get; set; } = null!;
    [Inject] private ILoggerFactory Logs { get; set; } = null!;

    /// <summary>The cycle whose structural changes this component follows.</summary>
    protected string? WatchedCycle { get => _watchedCycle; set => _watchedCycle = value; }

    /// <summary>
    /// True while the component shows a past instant ("as of"): the past does not change, so no live change concerns
    /// it — none re-renders it or overwrites what it shows.
    /// </summary>
    protected bool Frozen { get => _frozen; set => _frozen = value; }

    /// <summary>Whether a change of teams, people, cycles or KPIs concerns this component (default: yes).</summary>
    protected virtual bool WatchesOrganisation => true;

    /// <summary>Whether a change of any planner scenario concerns this component (default: only the watched ids).</summary>
    protected virtual bool WatchesAllScenarios => false;

    /// <summary>Replaces the set of node and KPI ids this component shows.</summary>
    protected void Watch(IEnumerable<string> ids) => _watched = ids.ToHashSet();

    protected override void OnInitialized()
    {
        Live.Changed += OnChanged;
        base.OnInitialized();
    }

    /// <summary>Reload what a live change made stale; the component renders after it returns.</summary>
    protected virtual Task OnLiveChangeAsync(LiveChange change) => Task.CompletedTask;

    /// <summary>Runs off the UI thread for every batch: cheap set look-ups only.</summary>
    protected virtual bool Affects(LiveBatch batch, out bool structure, out bool organisation, out HashSet<string> nodes)
    {
        var watched = _watched;
        nodes = [];
        foreach (var change in batch.Changes)
            if (watched.Contains(change.NodeId)) nodes.Add(change.NodeId);
        foreach (var scenario in batch.Scenarios ?? ImmutableHashSet<string>.Empty)
            if (WatchesAllScenarios || watched.Contains(scenario)) nodes.Add(scenario);
        structure = _watchedCycle is { } cycle && batch.StructureChangedCycles.Contains(cycle);
        organisation = batch.OrganisationChanged && WatchesOrganisation;
        return nodes.Count > 0 || structure || organisation;
    }

    private void OnChanged(LiveBatch batch)
    {
        if (_disposed || _frozen || !Affects(batch, out var structure, out var organisation, out var nodes)) return;
        TimeSpan delay;
        lock (_gate)
        {
            _pendingStructure |= structure;
            _pendingOrganisation |= organisation;
            _pendingNodes.UnionWith(nodes);
            if (_scheduled) return;
            _scheduled = true;
            var since = TimeSpan.FromTicks(Environment.TickCount64 * TimeSpan.TicksPerMillisecond - _lastRefreshTicks);
            delay = since < MinInterval ? MinInterval - since : TimeSpan.Zero;
        }
        _ = RefreshAsync(delay);
    }

    private async Task RefreshAsync(TimeSpan delay)
    {
        try
        {
            if (delay > TimeSpan.Zero) await Task.Delay(delay);
            if (_disposed) return;
            await InvokeAsync(async () =>
            {
                LiveChange change;
                lock (_gate)
                {
                    change = new LiveChange(_pendingStructure, _pendingOrganisation, _pendingNodes);
                    _pendingStructure = _pendingOrganisation = false;
                    _pendingNodes = [];
                    _scheduled = false;
                    _lastRefreshTicks = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
                }
                if (_disposed || _frozen) return; // frozen meanwhile: a page that thaws reads everything again
                await OnLiveChangeAsync(change);
                StateHasChanged();
            });
        }
        catch (Exception) when (_disposed) { } // the circuit went away meanwhile
        catch (Exception e)
        {
            // The page keeps what it showed; the next change tries again.
            Logs.CreateLogger(GetType()).LogWarning(e, "A live refresh of {Component} failed.", GetType().Name);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Live.Changed -= OnChanged;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }
}

/// <summary>What a live refresh is about: the structure of the watched cycle, the organisation, and/or these nodes.</summary>
public sealed record LiveChange(bool Structure, bool Organisation, IReadOnlySet<string> Nodes);
