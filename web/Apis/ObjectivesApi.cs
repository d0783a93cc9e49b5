namespace OkrGrid.Web.Apis;

public static class ObjectivesApi
{
    public static RouteGroupBuilder MapObjectivesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/objectives").WithTags("Objectives").WithOkrProblems();
        // Ids are "{cycleId}:{local}"; the colon needs no escaping in a path segment (%3A works too).
        api.MapGet("/{id}", GetObjectiveAsync).WithName("GetObjective");
        return api;
    }

    /// <summary>An objective with its score, parents and children.</summary>
    public static async Task<Ok<ObjectiveView>> GetObjectiveAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IObjectiveGrain>(id).GetViewAsync());
}
