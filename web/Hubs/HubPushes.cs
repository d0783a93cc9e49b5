using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace OkrGrid.Web.Hubs;

public sealed class LiveOptions
{
    public const string SectionName = "Live";

    /// <summary>How often followers get their coalesced changes: a burst on one node becomes one entry per interval.</summary>
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The most a connection follows at once (nodes and scorecards): a dashboard needs tens, not thousands.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 200;
}

/// <summary>
/// Carries the board's changes to hub clients. Followers of the same thing share a SignalR group — one per followed
/// node, one per scorecard (cycle + scope) — so a change is looked up once per group (an index from node to the
/// scorecards showing it), coalesced once (the latest per node, traces merged) and serialized once per push however
/// many clients follow. Batches are handed over by the board's callback and fanned out on this service's own loop,
/// so hub clients never hold up the change feed. When a cycle's structure changes, its scorecards' followers get
/// the new <c>scorecard</c>.
/// </summary>
public sealed class HubPushes(LiveBoard board, IHubContext<ScorecardHub> hub, IOptions<LiveOptions> options, ILogger<HubPushes> logger)
    : BackgroundService
{
    private readonly Channel<LiveBatch> _batches = Channel.CreateUnbounded<LiveBatch>(new() { SingleReader = true });
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Follow> _follows = [];                    // by group name
    private readonly Dictionary<string, List<ScorecardFollow>> _scorecardsShowing = []; // node id → scorecards showing it
    private readonly ConcurrentDictionary<string, HashSet<string>> _groupsOf = new();  // connection → group names

    /// <summary>Follows one node (objective, key result or KPI); call before reading its state.</summary>
    public async Task FollowNodeAsync(string connectionId, string nodeId)
    {
        var name = $"node:{nodeId}";
        lock (_gate)
        {
            EnsureRoom(connectionId, name);
            if (!_follows.TryGetValue(name, out var follow)) _follows[name] = follow = new NodeFollow(name);
            Join(follow, connectionId);
        }
        await hub.Groups.AddToGroupAsync(connectionId, name);
    }

    /// <summary>Follows a scorecard: joins (or starts) its group first, then reads its state, so no change falls between.</summary>
    public async Task<ScorecardState> FollowScorecardAsync(string connectionId, ScorecardScope scope, string cycleId)
    {
        var name = $"scorecard:{cycleId}|{scope}";
        ScorecardFollow follow;
        bool fresh;
        lock (_gate)
        {
            EnsureRoom(connectionId, name);
            fresh = !_follows.TryGetValue(name, out var existing);
            follow = (ScorecardFollow)(existing ?? (_follows[name] = new ScorecardFollow(name, scope, cycleId)));
            Join(follow, connectionId);
        }
        await hub.Groups.AddToGroupAsync(connectionId, name);
        var state = await ReadScorecardAsync(follow);
        if (fresh || follow.Members is null) SetMembers(follow, state);
        return state;
    }

    private void EnsureRoom(string connectionId, string name)
    {
        var max = options.Value.MaxSubscriptionsPerConnection;
        if (_groupsOf.TryGetValue(connectionId, out var groups) && !groups.Contains(name) && groups.Count >= max)
            throw new HubException($"subscriptions: a connection follows at most {max} nodes and scorecards; unsubscribe some first.");
    }

    public async Task UnfollowAsync(string connectionId, string nodeIdOrScope)
    {
        List<string> left;
        lock (_gate)
        {
            if (!_groupsOf.TryGetValue(connectionId, out var groups)) return;
            left = [.. groups.Where(g => g == $"node:{nodeIdOrScope}" || g.StartsWith("scorecard:", StringComparison.Ordinal) && g.EndsWith($"|{nodeIdOrScope}", StringComparison.Ordinal))];
            foreach (var name in left) Leave(name, connectionId);
        }
        foreach (var name in left) await hub.Groups.RemoveFromGroupAsync(connectionId, name);
    }

    /// <summary>A closed connection: SignalR drops it from its groups; here its follows are released.</summary>
    public void Remove(string connectionId)
    {
        lock (_gate)
        {
            if (!_groupsOf.TryRemove(connectionId, out var groups)) return;
            foreach (var name in groups.ToList()) Leave(name, connectionId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        board.Changed += OnChanged;
        try
        {
            var fanOut = FanOutAsync(stoppingToken);
            using var timer = new PeriodicTimer(options.Value.PushInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await PushAsync();
            await fanOut;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            board.Changed -= OnChanged;
        }
    }

    /// <summary>The board's callback (on the change feed's delivery): hand over and return.</summary>
    private void OnChanged(LiveBatch batch) => _batches.Writer.TryWrite(batch);

    private async Task FanOutAsync(CancellationToken stoppingToken)
    {
        await foreach (var batch in _batches.Reader.ReadAllAsync(stoppingToken))
        {
            lock (_gate)
            {
                foreach (var change in batch.Changes)
                {
                    if (_follows.TryGetValue($"node:{change.NodeId}", out var node)) node.Offer(change);
                    if (_scorecardsShowing.TryGetValue(change.NodeId, out var scorecards))
                        foreach (var scorecard in scorecards) scorecard.Offer(change);
                }
                foreach (var follow in _follows.Values.OfType<ScorecardFollow>())
                {
                    if (follow.Members is null)
                        foreach (var change in batch.Changes.Where(follow.MayShow)) follow.Offer(change);
                    if (batch.StructureChangedCycles.Contains(follow.CycleId) || batch.OrganisationChanged && !follow.Scope.IsCompany)
                        follow.Stale = true;
                }
            }
        }
    }

    /// <summary>
    /// One push: each group's changes go to the group, serialized once. A connection that follows several groups with
    /// changes this time (a company scorecard and a node on it, say) is left out of those groups' messages and gets one
    /// message of its own instead, each node once at its newest version.
    /// </summary>
    private async Task PushAsync()
    {
        List<(Follow Follow, List<NodeChange> Changes, bool Stale)> due = [];
        Dictionary<string, List<string>> overlapping = []; // connection → the due groups it follows (two or more)
        lock (_gate)
        {
            foreach (var follow in _follows.Values)
            {
                var stale = false;
                if (follow is ScorecardFollow { Stale: true } scorecard)
                {
                    stale = true;
                    scorecard.Stale = false;
                }
                var changes = follow.Drain();
                if (changes.Count > 0 || stale) due.Add((follow, changes, stale));
            }
            var withChanges = due.Where(d => d.Changes.Count > 0).Select(d => d.Follow.Name).ToHashSet();
            if (withChanges.Count > 1)
                foreach (var (connection, groups) in _groupsOf)
                {
                    var mine = groups.Where(withChanges.Contains).ToList();
                    if (mine.Count > 1) overlapping[connection] = mine;
                }
        }
        var changesOf = due.ToDictionary(d => d.Follow.Name, d => d.Changes);
        var excludedFrom = overlapping.SelectMany(o => o.Value.Select(g => (Group: g, Connection: o.Key)))
            .GroupBy(x => x.Group).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(x => x.Connection)]);
        await Task.WhenAll(due.Select(async d =>
        {
            try
            {
                if (d.Stale && d.Follow is ScorecardFollow scorecard)
                {
                    var state = await ReadScorecardAsync(scorecard);
                    SetMembers(scorecard, state);
                    await hub.Clients.Group(d.Follow.Name).SendAsync("scorecard", state);
                }
                if (d.Changes.Count == 0) return;
                var group = excludedFrom.TryGetValue(d.Follow.Name, out var excluded)
                    ? hub.Clients.GroupExcept(d.Follow.Name, excluded) : hub.Clients.Group(d.Follow.Name);
                await group.SendAsync("changes", d.Changes);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Push to {Group} failed.", d.Follow.Name);
            }
        }).Concat(overlapping.Select(async o =>
        {
            try { await hub.Clients.Client(o.Key).SendAsync("changes", Merge(o.Value.Select(g => changesOf[g]))); }
            catch (Exception ex) { logger.LogWarning(ex, "Push to connection {Connection} failed.", o.Key); }
        })));
    }

    /// <summary>Each node once, at its newest version, with the traces any of its copies carried.</summary>
    private static List<NodeChange> Merge(IEnumerable<List<NodeChange>> lists)
    {
        var merged = new Dictionary<string, NodeChange>();
        foreach (var change in lists.SelectMany(l => l))
        {
            if (!merged.TryGetValue(change.NodeId, out var held)) { merged[change.NodeId] = change; continue; }
            var newer = change.Version >= held.Version ? change : held;
            var traces = (held.Score?.Traces ?? []).Concat(change.Score?.Traces ?? []).Distinct().ToArray();
            merged[change.NodeId] = traces.Length > 0 && newer.Score is { } s ? newer with { Score = s with { Traces = traces } } : newer;
        }
        return [.. merged.Values];
    }

    private async Task<ScorecardState> ReadScorecardAsync(ScorecardFollow follow)
    {
        var organisation = await board.GetOrganisationAsync();
        var cycle = await board.GetCycleAsync(follow.CycleId);
        var kpis = await board.GetKpisAsync();
        return new ScorecardState(
            follow.Scope.ToString(), Scorecards.TitleOf(organisation, follow.Scope), cycle.CycleId, cycle.Cycle.Definition.Name,
            Scorecards.Nodes(cycle, organisation, follow.Scope),
            [.. kpis.Where(k => Scorecards.ShowsKpi(k.Definition, organisation, follow.Scope)).Select(k => k.State)]);
    }

    /// <summary>Sets what a scorecard shows and re-indexes it (node → scorecards showing it).</summary>
    private void SetMembers(ScorecardFollow follow, ScorecardState state)
    {
        HashSet<string> members = [.. state.Nodes.Select(n => n.Id), .. state.Kpis.Select(k => k.KpiId)];
        lock (_gate)
        {
            Unindex(follow);
            follow.Members = members;
            if (_follows.ContainsKey(follow.Name))
                foreach (var id in members)
                    (_scorecardsShowing.TryGetValue(id, out var list) ? list : _scorecardsShowing[id] = []).Add(follow);
        }
    }

    private void Unindex(ScorecardFollow follow)
    {
        if (follow.Members is null) return;
        foreach (var id in follow.Members)
            if (_scorecardsShowing.TryGetValue(id, out var list) && list.Remove(follow) && list.Count == 0) _scorecardsShowing.Remove(id);
    }

    private void Join(Follow follow, string connectionId)
    {
        var groups = _groupsOf.GetOrAdd(connectionId, _ => []);
        if (groups.Add(follow.Name)) follow.Connections++;
    }

    /// <summary>Leaves a group (under the lock); the last one out ends the follow.</summary>
    private void Leave(string name, string connectionId)
    {
        if (_groupsOf.TryGetValue(connectionId, out var groups)) groups.Remove(name);
        if (!_follows.TryGetValue(name, out var follow) || --follow.Connections > 0) return;
        _follows.Remove(name);
        if (follow is ScorecardFollow scorecard) Unindex(scorecard);
    }

    /// <summary>What one group follows, and its pending changes: the latest per node, with every trace it carried.</summary>
    private abstract class Follow(string name)
    {
        private readonly Dictionary<string, (NodeChange Latest, List<string>? Traces)> _pending = [];
        private readonly Dictionary<string, long> _offered = [];

        public string Name { get; } = name;
        public int Connections { get; set; }

        /// <summary>Keeps the newest change per node; an older or repeated version is dropped.</summary>
        public void Offer(NodeChange change)
        {
            if (_offered.TryGetValue(change.NodeId, out var seen) && seen >= change.Version) return;
            _offered[change.NodeId] = change.Version;
            var traces = _pending.TryGetValue(change.NodeId, out var held) ? held.Traces : null;
            if (change.Score?.Traces is { Length: > 0 } more) (traces ??= []).AddRange(more);
            _pending[change.NodeId] = (change, traces);
        }

        public List<NodeChange> Drain()
        {
            if (_pending.Count == 0) return [];
            var changes = _pending.Values.Select(p => p.Traces is { } t && p.Latest.Score is { } s
                ? p.Latest with { Score = s with { Traces = [.. t] } } : p.Latest).ToList();
            _pending.Clear();
            return changes;
        }
    }

    private sealed class NodeFollow(string name) : Follow(name);

    private sealed class ScorecardFollow(string name, ScorecardScope scope, string cycleId) : Follow(name)
    {
        public ScorecardScope Scope { get; } = scope;
        public string CycleId { get; } = cycleId;
        public bool Stale { get; set; }

        /// <summary>Null until the first state was read.</summary>
        public HashSet<string>? Members { get; set; }

        /// <summary>Before the members are known, any change of the cycle (or a KPI) may be on the scorecard.</summary>
        public bool MayShow(NodeChange change) => change.CycleId == CycleId || change.Kind == NodeKind.Kpi;
    }
}
