using OkrGrid.Views;
using OkrGrid.Web.Views;

namespace OkrGrid.Web.Apis;

public static class HistoryApi
{
    public static RouteGroupBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/history").WithTags("History").WithOkrProblems();
        api.MapGet("/{nodeId}", GetHistoryAsync).WithName("GetHistory");
        return api;
    }

    /// <summary>
    /// How an objective's or key result's progress developed over its cycle (a point a day and at each check-in,
    /// with the expected pace), and its check-in log, newest first. For a KPI id: its measurements.
    /// </summary>
    public static async Task<Ok<NodeHistory>> GetHistoryAsync(string nodeId, HistoryReader history, HttpContext http) =>
        TypedResults.Ok(await history.GetAsync(nodeId, http.RequestAborted));
}
