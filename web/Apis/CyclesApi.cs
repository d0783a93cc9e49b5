namespace OkrGrid.Web.Apis;

/// <summary>A new cycle: a slug id (e.g. "2027-q1"), a name, and its time span (end after start).</summary>
public sealed record CreateCycleRequest(string? Id, string? Name, DateTimeOffset? Start, DateTimeOffset? End);

/// <summary>Which objectives of a closed cycle to copy into which open cycle.</summary>
public sealed record CarryOverRequest(string? TargetCycleId, IReadOnlyList<string>? ObjectiveIds);

public static class CyclesApi
{
    public static RouteGroupBuilder MapCyclesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/cycles").WithTags("Cycles").WithOkrProblems();
        api.MapGet("/", ListCyclesAsync).WithName("ListCycles");
        api.MapGet("/current", GetCurrentCycleAsync).WithName("GetCurrentCycle");
        api.MapGet("/{cycleId}", GetCycleAsync).WithName("GetCycle");
        api.MapPost("/", CreateCycleAsync).WithName("CreateCycle").RequireAuthorization(Policies.Admin);
        api.MapPost("/{cycleId}/close", CloseCycleAsync).WithName("CloseCycle").RequireAuthorization(Policies.Admin);
        api.MapPost("/{cycleId}/reopen", ReopenCycleAsync).WithName("ReopenCycle").RequireAuthorization(Policies.Admin);
        api.MapPost("/{cycleId}/carry-over", CarryOverAsync).WithName("CarryOver").RequireAuthorization(Policies.Admin);
        api.MapGet("/{cycleId}/snapshot", GetSnapshotAsync).WithName("GetCycleSnapshot");
        return api;
    }

    /// <summary>Every cycle of the company, oldest first.</summary>
    public static async Task<Ok<ImmutableArray<CycleInfo>>> ListCyclesAsync(IGrainFactory grains) =>
        TypedResults.Ok((await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync()).Cycles);

    /// <summary>The current cycle: the open one containing now; else the latest that started; else the first (404 with none).</summary>
    public static async Task<Ok<CycleInfo>> GetCurrentCycleAsync(IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(await grains.CycleOrCurrentAsync(clock, null)).GetInfoAsync());

    public static async Task<Ok<CycleInfo>> GetCycleAsync(string cycleId, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).GetInfoAsync());

    public static async Task<Created<CycleInfo>> CreateCycleAsync(CreateCycleRequest request, IGrainFactory grains, ApiCaller caller)
    {
        if (request.Id == "current") throw OkrRejectedException.Invalid("id", "'current' names the current cycle in the API; choose another id.");
        var definition = new CycleDefinition(
            Require.Object(request.Id, "id"), Require.Object(request.Name, "name"),
            Require.Value(request.Start, "start"), Require.Value(request.End, "end"));
        var cycle = await grains.GetGrain<IOrganisationGrain>(Company.Id).CreateCycleAsync(definition, caller.Actor);
        return TypedResults.Created($"/api/cycles/{cycle.Id}", cycle);
    }

    /// <summary>Freezes every objective and key result with its final grade; check-ins are refused until reopened.</summary>
    public static async Task<Ok<CycleInfo>> CloseCycleAsync(string cycleId, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).CloseAsync(caller.Actor));

    public static async Task<Ok<CycleInfo>> ReopenCycleAsync(string cycleId, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).ReopenAsync(caller.Actor));

    /// <summary>
    /// Copies unfinished objectives of this (closed) cycle into an open one, each unfinished key result starting
    /// where it ended. Returns the new objectives.
    /// </summary>
    public static async Task<Ok<ImmutableArray<ObjectiveDefinition>>> CarryOverAsync(string cycleId, CarryOverRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var target = Require.Object(request.TargetCycleId, "targetCycleId");
        var objectiveIds = Require.Object(request.ObjectiveIds, "objectiveIds");
        for (int i = 0; i < objectiveIds.Count; i++) Require.Object(objectiveIds[i], $"objectiveIds[{i}]");
        return TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).CarryOverAsync(target, [.. objectiveIds], caller.Actor));
    }

    /// <summary>
    /// The cycle's whole alignment graph with every node's current score — or, with <c>at</c>, as it was at that instant:
    /// the structure committed by then and each key result's latest check-in dated at or before it (refused before the
    /// cycle existed and in the future).
    /// </summary>
    public static async Task<Ok<CycleSnapshot>> GetSnapshotAsync(string cycleId, string? at, IGrainFactory grains)
    {
        var instant = Require.InstantQuery(at, "at");
        var cycle = grains.GetGrain<ICycleGrain>(cycleId);
        return TypedResults.Ok(instant is { } t ? await cycle.GetSnapshotAtAsync(t) : await cycle.GetSnapshotAsync());
    }
}
