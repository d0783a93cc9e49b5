using OkrGrid.Web.Components;

namespace OkrGrid.Web.Hosting;

/// <summary>Every endpoint of the host, in one place: the tests build the same route table to check each one's policy.</summary>
public static class WebEndpoints
{
    public static WebApplication MapOkrGrid(this WebApplication app)
    {
        app.MapHealthApi();
        app.MapOpenApi().RequireAuthorization(Policies.Read);
        app.MapAccountEndpoints();
        app.MapOkrGridApi();
        app.MapOkrGridHubs();
        app.MapOkrGridDashboards();
        app.MapOkrGridOperations();
        return app;
    }

    /// <summary>The REST API under /api: every endpoint needs at least a reader; each one that changes something names its own policy on top.</summary>
    public static RouteGroupBuilder MapOkrGridApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(Policies.Read).AddEndpointFilter<RouteValuesFilter>();
        api.MapOrganisationApi();
        api.MapCyclesApi();
        api.MapPortingApi();
        api.MapTeamsApi();
        api.MapPeopleApi();
        api.MapObjectivesApi();
        api.MapKeyResultsApi();
        api.MapKpisApi();
        api.MapSourcesApi();
        api.MapAlignmentApi();
        api.MapHistoryApi();
        api.MapScenariosApi();
        api.MapAccountApi();
        api.MapAccessApi();
        api.MapWebhooksApi();
        api.MapDemoApi();
        return api;
    }
}
