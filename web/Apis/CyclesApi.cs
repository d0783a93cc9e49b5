namespace OkrGrid.Web.Apis;

/// <summary>A new cycle: a slug id (e.g. "2027-q1"), a name, and its time span (end after start).</summary>
public sealed record CreateCycleRequest(string? Id, string? Name, DateTimeOffset? Start, DateTimeOffset? End);

/// <summary>Which objectives of a closed cycle to copy into which open cycle.</summary>
public sealed record CarryOverRequest(string? TargetCycleId, IReadOnlyList<string>? ObjectiveIds);

public static class CyclesApi
{
    public static RouteGroupBuilder MapCyclesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/cycles").WithTags("Cycles").WithOkrProblems();
        api.MapGet("/", ListCyclesAsync).WithName("ListCycles");
        api.MapGet("/{cycleId}", GetCycleAsync).WithName("GetCycle");
        api.MapPost("/", CreateCycleAsync).WithName("CreateCycle");
        api.MapPost("/{cycleId}/close", CloseCycleAsync).WithName("CloseCycle");
        api.MapPost("/{cycleId}/reopen", ReopenCycleAsync).WithName("ReopenCycle");
        api.MapPost("/{cycleId}/carry-over", CarryOverAsync).WithName("CarryOver");
        api.MapGet("/{cycleId}/snapshot", GetSnapshotAsync).WithName("GetCycleSnapshot");
        return api;
    }

    /// <summary>Every cycle of the company, oldest first.</summary>
    public static async Task<Ok<ImmutableArray<CycleInfo>>> ListCyclesAsync(IGrainFactory grains) =>
        TypedResults.Ok((await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync()).Cycles);

    public static async Task<Ok<CycleInfo>> GetCycleAsync(string cycleId, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).GetInfoAsync());

    public static async Task<Created<CycleInfo>> CreateCycleAsync(CreateCycleRequest request, IGrainFactory grains)
    {
        var definition = new CycleDefinition(
            Require.Object(request.Id, "id"), Require.Object(request.Name, "name"),
            Require.Value(request.Start, "start"), Require.Value(request.End, "end"));
        var cycle = await grains.GetGrain<IOrganisationGrain>(Company.Id).CreateCycleAsync(definition);
        return TypedResults.Created($"/api/cycles/{cycle.Id}", cycle);
    }

    /// <summary>Freezes every objective and key result with its final grade; check-ins are refused until reopened.</summary>
    public static async Task<Ok<CycleInfo>> CloseCycleAsync(string cycleId, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).CloseAsync());

    public static async Task<Ok<CycleInfo>> ReopenCycleAsync(string cycleId, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).ReopenAsync());

    /// <summary>
    /// Copies unfinished objectives of this (closed) cycle into an open one, each unfinished key result starting
    /// where it ended. Returns the new objectives.
    /// </summary>
    public static async Task<Ok<ImmutableArray<ObjectiveDefinition>>> CarryOverAsync(string cycleId, CarryOverRequest request, IGrainFactory grains)
    {
        var target = Require.Object(request.TargetCycleId, "targetCycleId");
        var objectiveIds = Require.Object(request.ObjectiveIds, "objectiveIds");
        for (int i = 0; i < objectiveIds.Count; i++) Require.Object(objectiveIds[i], $"objectiveIds[{i}]");
        return TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).CarryOverAsync(target, [.. objectiveIds]));
    }

    /// <summary>The cycle's whole alignment graph with every node's current score.</summary>
    public static async Task<Ok<CycleSnapshot>> GetSnapshotAsync(string cycleId, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).GetSnapshotAsync());
}
