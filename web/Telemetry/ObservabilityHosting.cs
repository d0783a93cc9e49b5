using OkrGrid.Silo.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace OkrGrid.Web.Telemetry;

/// <summary>
/// The web host's observability: OpenTelemetry (the engine's shared setup plus ASP.NET Core, SignalR and the Prometheus
/// exporter), the Orleans Dashboard, and propagation tracking. Called after the engine is configured: whether this host
/// co-hosts a silo or is a cluster client decides where the dashboard's Orleans part goes.
/// </summary>
public static class ObservabilityHosting
{
    public const string MetricsPath = ScrapeTokenHandler.MetricsPath;
    public const string DashboardPath = "/admin/orleans";

    public static WebApplicationBuilder AddOkrGridObservability(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var settings = TelemetrySettings.Read(configuration);
        builder.Services.AddSingleton(settings);

        builder.Services.AddOkrGridTelemetry(configuration, "okrgrid-web",
            metrics: m => m
                .AddAspNetCoreInstrumentation()
                .AddMeter("Microsoft.AspNetCore.Http.Connections", "Microsoft.AspNetCore.SignalR")
                .AddPrometheusExporter(o => o.ScrapeEndpointPath = MetricsPath),
            tracing: t => t.AddAspNetCoreInstrumentation(o =>
                // Probes and scrapes every few seconds would be most of the traces and say nothing.
                o.Filter = context => !context.Request.Path.StartsWithSegments("/healthz") && !context.Request.Path.StartsWithSegments(MetricsPath)));

        // A silo in this process (embedded, or a co-hosted cluster member) registers its local details; a client does not.
        if (builder.Services.Any(d => d.ServiceType == typeof(Orleans.Runtime.ILocalSiloDetails)))
            builder.UseOrleans(silo => silo.AddOkrGridOperations(configuration));
        else
            builder.UseOrleansClient(client => client.AddOkrGridOperations(configuration));
        return builder;
    }

    /// <summary>
    /// <c>/metrics</c> (Prometheus text; admins or the scrape token) and the Orleans Dashboard under <c>/admin/orleans</c>
    /// (admins: a session, or a token with the admin scope). Both are left out when turned off in Telemetry.
    /// </summary>
    public static IEndpointRouteBuilder MapOkrGridOperations(this IEndpointRouteBuilder app)
    {
        var settings = app.ServiceProvider.GetRequiredService<TelemetrySettings>();
        // The exporter maps every method; a scrape is a GET (anything else: 405).
        if (settings.Metrics)
            app.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
                .RequireAuthorization(Policies.Metrics).ExcludeFromDescription();
        // Every asset and API route of the dashboard, not only its page: the group carries the policy. Neither is part of
        // OkrGrid's API, so neither is in its OpenAPI document.
        if (settings.Dashboard) app.MapOrleansDashboard(DashboardPath).RequireAuthorization(Policies.Admin).ExcludeFromDescription();
        return app;
    }
}
