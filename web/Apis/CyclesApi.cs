namespace OkrGrid.Web.Apis;

public static class CyclesApi
{
    public static RouteGroupBuilder MapCyclesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/cycles").WithTags("Cycles").WithOkrProblems();
        api.MapGet("/{cycleId}/snapshot", GetSnapshotAsync).WithName("GetCycleSnapshot");
        return api;
    }

    /// <summary>The cycle's whole alignment graph with every node's current score.</summary>
    public static async Task<Ok<CycleSnapshot>> GetSnapshotAsync(string cycleId, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<ICycleGrain>(cycleId).GetSnapshotAsync());
}
