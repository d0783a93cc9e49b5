using MudBlazor.Services;

namespace OkrGrid.Web.Components;

/// <summary>The Blazor dashboards: interactive server components, MudBlazor, and the 404 page for unknown addresses.</summary>
public static class DashboardHosting
{
    public const string NotFoundPath = "/not-found";

    public static IServiceCollection AddOkrGridDashboards(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<IOkrCommands, GrainCommands>();
        services.AddSingleton<OkrGrid.Web.Views.KpiHistoryReader>();
        services.AddSingleton<OkrGrid.Web.Views.SourceReader>();
        services.AddScoped<OkrGrid.Web.Components.Planner.PlannerService>();
        services.AddScoped<OkrGrid.Web.Components.Wall.WallService>();
        services.AddScoped<OkrGrid.Web.Integrations.SourceCommands>();
        return services;
    }

    /// <summary>
    /// An unknown address outside the API gets the dashboards' 404 page (with status 404); the API keeps answering with
    /// ProblemDetails. Before routing, so that the 404 page's address is routed when it is re-executed.
    /// </summary>
    public static WebApplication UseOkrGridDashboardErrors(this WebApplication app)
    {
        app.UseWhen(
            context => !IsMachinePath(context.Request.Path),
            branch => branch.UseStatusCodePagesWithReExecute(NotFoundPath, createScopeForStatusCodePages: true));
        return app;
    }

    /// <summary>Serves the pages and their static assets.</summary>
    public static WebApplication MapOkrGridDashboards(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private static bool IsMachinePath(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/openapi")
        || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/_framework") || path.StartsWithSegments("/_content")
        || path.StartsWithSegments("/_blazor");
}
