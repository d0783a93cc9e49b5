using Microsoft.AspNetCore.SignalR;

namespace OkrGrid.Web.Hubs;

/// <summary>A node as a hub client receives it when it subscribes: an objective's or key result's score, or a KPI's state.</summary>
public sealed record NodeState(string Id, NodeKind Kind, string Title, string? CycleId, NodeScore? Score, KpiState? Kpi)
{
    public long Version => Score?.Version ?? Kpi?.Version ?? 0;
}

/// <summary>
/// <c>/hubs/scorecard</c>. A client subscribes to nodes (objective, key result, KPI) and to scorecards ("company",
/// "team:{teamId}"); each subscription answers with the current state, after which the client receives
/// <c>changes</c> (an array of <see cref="NodeChange"/>, at most one per node per push interval, versions growing per
/// node from message to message) and <c>scorecard</c> (a fresh <see cref="ScorecardState"/> when the scorecard's
/// structure changed). A client keeps, per node, the highest version it has seen: the first push after subscribing
/// may repeat what the subscription returned. After a reconnect it subscribes again and gets the current state.
/// Anyone signed in (session or token) may follow anything of the company; a wall link (<c>?link=okrw_…</c>) only its
/// own scorecard, of the current cycle.
/// </summary>
public sealed class ScorecardHub(LiveBoard board, HubPushes pushes, HubAccess access) : Hub
{
    public const string Path = "/hubs/scorecard";

    /// <summary>Follows a scorecard of the current cycle and returns its current state.</summary>
    public Task<ScorecardState> SubscribeScorecard(string scope) => FollowScorecardAsync(scope, null);

    /// <summary>Follows a scorecard of a given cycle (a wall link: not this one — it shows the current cycle).</summary>
    public Task<ScorecardState> SubscribeCycleScorecard(string scope, string cycleId)
    {
        if (string.IsNullOrWhiteSpace(cycleId)) throw new HubException("cycleId: is required (SubscribeScorecard(scope) follows the current cycle).");
        return FollowScorecardAsync(scope, cycleId);
    }

    private async Task<ScorecardState> FollowScorecardAsync(string scope, string? cycleId)
    {
        if (!ScorecardScope.TryParse(scope, out var parsed))
            throw new HubException("scope: must be \"company\" or \"team:{teamId}\".");
        if (Context.User?.Get(OkrClaims.Wall) is { } wall)
        {
            if (wall != scope) throw new HubException($"scope: this wall link shows the \"{wall}\" scorecard only.");
            if (cycleId is not null) throw new HubException("cycleId: a wall link shows the current cycle; use SubscribeScorecard(scope).");
        }
        var organisation = await board.GetOrganisationAsync(Context.ConnectionAborted);
        if (parsed.TeamId is { } team && organisation.Teams.All(t => t.Id != team))
            throw new HubException($"scope: no team '{team}'.");
        cycleId ??= (await board.GetCurrentCycleAsync(Context.ConnectionAborted))?.Id
            ?? throw new HubException("cycleId: the company has no cycle yet.");
        await CycleAsync(cycleId); // refuses a cycle the company does not have
        return await pushes.FollowScorecardAsync(Context.ConnectionId, parsed, cycleId);
    }

    /// <summary>Follows one objective, key result or KPI and returns its current state.</summary>
    public async Task<NodeState> SubscribeNode(string nodeId)
    {
        if (Context.User?.Get(OkrClaims.Wall) is { } wall)
            throw new HubException($"nodeId: a wall link follows its scorecard (\"{wall}\") only, not single nodes.");
        if (string.IsNullOrWhiteSpace(nodeId)) throw new HubException("nodeId: is required.");
        await pushes.FollowNodeAsync(Context.ConnectionId, nodeId); // before reading, so nothing falls between
        var state = await ReadNodeAsync(nodeId);
        if (state is null)
        {
            await pushes.UnfollowAsync(Context.ConnectionId, nodeId);
            throw new HubException($"nodeId: no objective, key result or KPI '{nodeId}'.");
        }
        return state;
    }

    /// <summary>Stops following a node id or a scorecard scope (of any cycle).</summary>
    public Task Unsubscribe(string nodeIdOrScope) => pushes.UnfollowAsync(Context.ConnectionId, nodeIdOrScope);

    public override Task OnConnectedAsync()
    {
        // A connection made with a token or wall link closes when that stops working (revoked, expired).
        if (Context.GetHttpContext()?.Request is { } request)
            access.Opened(Context, BearerTokenHandler.Presented(request) ?? request.Query[WallLinkHandler.QueryKey].FirstOrDefault());
        OkrGrid.Web.Telemetry.WebMetrics.HubConnections.Add(1);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        OkrGrid.Web.Telemetry.WebMetrics.HubConnections.Add(-1);
        access.Closed(Context.ConnectionId);
        pushes.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    private async Task<NodeState?> ReadNodeAsync(string nodeId)
    {
        if (NodeIds.CycleOf(nodeId) is { } cycleId)
        {
            CycleBoard cycle;
            try { cycle = await board.GetCycleAsync(cycleId, Context.ConnectionAborted); }
            catch (OkrRejectedException) { return null; }
            if (cycle.Objective(nodeId) is { } objective)
                return new NodeState(nodeId, NodeKind.Objective, objective.Title, cycleId, cycle.ScoreOf(nodeId), null);
            if (cycle.KeyResult(nodeId) is { } keyResult)
                return new NodeState(nodeId, NodeKind.KeyResult, keyResult.Title, cycleId, cycle.ScoreOf(nodeId), null);
            return null;
        }
        var kpi = (await board.GetKpisAsync(Context.ConnectionAborted)).FirstOrDefault(k => k.Definition.Id == nodeId);
        return kpi is null ? null : new NodeState(nodeId, NodeKind.Kpi, kpi.Definition.Name, null, null, kpi.State);
    }

    private async Task<CycleBoard> CycleAsync(string cycleId)
    {
        try { return await board.GetCycleAsync(cycleId, Context.ConnectionAborted); }
        catch (OkrRejectedException rejected) { throw new HubException($"cycleId: {rejected.Reason}"); }
    }
}
