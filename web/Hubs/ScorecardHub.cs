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
/// </summary>
public sealed class ScorecardHub(LiveBoard board, HubPushes pushes) : Hub
{
    public const string Path = "/hubs/scorecard";

    /// <summary>Follows a scorecard of a cycle (default: the current one) and returns its current state.</summary>
    public async Task<ScorecardState> SubscribeScorecard(string scope, string? cycleId = null)
    {
        if (!ScorecardScope.TryParse(scope, out var parsed))
            throw new HubException("scope: must be \"company\" or \"team:{teamId}\".");
        var organisation = await board.GetOrganisationAsync(Context.ConnectionAborted);
        if (parsed.TeamId is { } team && organisation.Teams.All(t => t.Id != team))
            throw new HubException($"scope: no team '{team}'.");
        cycleId ??= (await board.GetCurrentCycleAsync(Context.ConnectionAborted))?.Id
            ?? throw new HubException("cycleId: the company has no cycle yet.");
        await CycleAsync(cycleId); // validates the id
        return await pushes.FollowScorecardAsync(Context.ConnectionId, parsed, cycleId);
    }

    /// <summary>Follows one objective, key result or KPI and returns its current state.</summary>
    public async Task<NodeState> SubscribeNode(string nodeId)
    {
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

    public override Task OnDisconnectedAsync(Exception? exception)
    {
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
