using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace OkrGrid.Web.Hubs;

public sealed class LiveOptions
{
    public const string SectionName = "Live";

    /// <summary>How often each hub client gets its coalesced changes: a burst on one node becomes one entry per interval.</summary>
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// Carries the board's changes to hub clients. Each connection keeps what it follows and a pending set holding the
/// latest change per node (traces merged); every push interval the pending set goes out as one <c>changes</c> message.
/// A version a connection already got is never sent again. When a cycle's structure changes, connections that follow
/// one of its scorecards get the new <c>scorecard</c>.
/// </summary>
public sealed class HubPushes(LiveBoard board, IHubContext<ScorecardHub> hub, IOptions<LiveOptions> options, ILogger<HubPushes> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, Client> _clients = new();

    public void FollowNode(string connectionId, string nodeId)
    {
        var client = _clients.GetOrAdd(connectionId, id => new Client(id));
        lock (client) client.Nodes.Add(nodeId);
    }

    /// <summary>Registers the scorecard first, then reads its state, so no change falls between the two.</summary>
    public async Task<ScorecardState> FollowScorecardAsync(string connectionId, ScorecardScope scope, string cycleId)
    {
        var client = _clients.GetOrAdd(connectionId, id => new Client(id));
        var follow = new FollowedScorecard(scope, cycleId);
        lock (client) client.Scorecards[follow.Key] = follow;
        var state = await ReadScorecardAsync(follow);
        lock (client) follow.Members = Members(state);
        return state;
    }

    public void Unfollow(string connectionId, string nodeIdOrScope)
    {
        if (!_clients.TryGetValue(connectionId, out var client)) return;
        lock (client)
        {
            client.Nodes.Remove(nodeIdOrScope);
            foreach (var key in client.Scorecards.Values.Where(s => s.Scope.ToString() == nodeIdOrScope).Select(s => s.Key).ToList())
                client.Scorecards.Remove(key);
        }
    }

    public void Remove(string connectionId) => _clients.TryRemove(connectionId, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        board.Changed += OnChanged;
        try
        {
            using var timer = new PeriodicTimer(options.Value.PushInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await Task.WhenAll(_clients.Values.Select(PushAsync));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            board.Changed -= OnChanged;
        }
    }

    private void OnChanged(LiveBatch batch)
    {
        foreach (var client in _clients.Values)
        {
            lock (client)
            {
                foreach (var change in batch.Changes)
                    if (client.Follows(change)) client.Offer(change);
                foreach (var followed in client.Scorecards.Values)
                    if (batch.StructureChangedCycles.Contains(followed.CycleId) || batch.OrganisationChanged && !followed.Scope.IsCompany)
                        client.StaleScorecards.Add(followed);
            }
        }
    }

    private async Task PushAsync(Client client)
    {
        List<NodeChange> changes;
        List<FollowedScorecard> stale;
        lock (client)
        {
            if (client.Pending.Count == 0 && client.StaleScorecards.Count == 0) return;
            changes = [.. client.Pending.Values];
            client.Pending.Clear();
            stale = [.. client.StaleScorecards];
            client.StaleScorecards.Clear();
        }
        try
        {
            var proxy = hub.Clients.Client(client.ConnectionId);
            foreach (var followed in stale)
            {
                var state = await ReadScorecardAsync(followed);
                lock (client) followed.Members = Members(state);
                await proxy.SendAsync("scorecard", state);
            }
            if (changes.Count > 0) await proxy.SendAsync("changes", changes);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Push to connection {ConnectionId} failed.", client.ConnectionId);
        }
    }

    private async Task<ScorecardState> ReadScorecardAsync(FollowedScorecard followed)
    {
        var organisation = await board.GetOrganisationAsync();
        var cycle = await board.GetCycleAsync(followed.CycleId);
        var kpis = await board.GetKpisAsync();
        return new ScorecardState(
            followed.Scope.ToString(), Scorecards.TitleOf(organisation, followed.Scope), cycle.CycleId, cycle.Cycle.Definition.Name,
            Scorecards.Nodes(cycle, organisation, followed.Scope),
            [.. kpis.Where(k => Scorecards.ShowsKpi(k.Definition, organisation, followed.Scope)).Select(k => k.State)]);
    }

    private static HashSet<string> Members(ScorecardState state) =>
        [.. state.Nodes.Select(n => n.Id), .. state.Kpis.Select(k => k.KpiId)];

    private sealed class FollowedScorecard(ScorecardScope scope, string cycleId)
    {
        public ScorecardScope Scope { get; } = scope;
        public string CycleId { get; } = cycleId;
        public string Key => $"{CycleId}|{Scope}";
        /// <summary>Null until the first state was read: until then every change of the cycle (and any KPI) counts.</summary>
        public HashSet<string>? Members { get; set; }

        public bool Contains(NodeChange change) => Members?.Contains(change.NodeId)
            ?? (change.CycleId == CycleId || change.Kind == NodeKind.Kpi);
    }

    /// <summary>One connection's subscriptions and pending changes; guarded by locking the instance.</summary>
    private sealed class Client(string connectionId)
    {
        public string ConnectionId { get; } = connectionId;
        public HashSet<string> Nodes { get; } = [];
        public Dictionary<string, FollowedScorecard> Scorecards { get; } = [];
        public Dictionary<string, NodeChange> Pending { get; } = [];
        public HashSet<FollowedScorecard> StaleScorecards { get; } = [];
        private readonly Dictionary<string, long> _offered = [];

        public bool Follows(NodeChange change) =>
            Nodes.Contains(change.NodeId) || Scorecards.Values.Any(s => s.Contains(change));

        /// <summary>Keeps the newest change per node; an older or repeated version is dropped, traces ride along.</summary>
        public void Offer(NodeChange change)
        {
            if (_offered.TryGetValue(change.NodeId, out var seen) && seen >= change.Version) return;
            _offered[change.NodeId] = change.Version;
            if (Pending.TryGetValue(change.NodeId, out var older) && older.Score?.Traces is { Length: > 0 } earlier && change.Score is { } score)
                change = change with { Score = score with { Traces = [.. earlier, .. score.Traces ?? []] } };
            Pending[change.NodeId] = change;
        }
    }
}
