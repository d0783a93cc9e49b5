using System.Security.Cryptography;
using System.Text;
using OkrGrid.Silo;
using OkrGrid.Silo.Hosting;
using OkrGrid.Silo.Telemetry;
using OpenTelemetry.Metrics;

// The standalone silo: the engine alone — the same grains, storage, journal, change feed and migrations as a web host's
// embedded silo (OkrGridSilo.AddOkrGrid), no API, pages or hub. Web hosts in Cluster:Mode=Client serve users from a
// cluster of these; they find the silos' gateways in the membership table in PostgreSQL.
//
// Its HTTP serves operations only: /healthz/live, /healthz/ready (the silo is an active member and PostgreSQL answers)
// for an orchestrator's probes, and /metrics for a scraper with Telemetry:ScrapeToken. It listens where ASP.NET Core is
// told to (ASPNETCORE_HTTP_PORTS — the image sets 8080 — or ASPNETCORE_URLS); told nothing, it takes a free loopback
// port, so several silo hosts on one machine never collide over a default port.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
if (!HttpConfigured(builder.Configuration)) builder.WebHost.UseUrls("http://127.0.0.1:0");

await StartupErrors.GuardAsync(async () =>
{
    var cluster = ClusterSettings.Read(builder.Configuration);
    if (cluster.Mode == ClusterMode.Client)
        throw new OkrGridConfigurationException("Cluster:Mode is Client, but this is the silo host: it always runs a silo (use the web host for a client).");

    using var bootstrapLogging = LoggerFactory.Create(logging => logging
        .AddConfiguration(builder.Configuration.GetSection("Logging"))
        .AddSimpleConsole(o => o.SingleLine = true));
    var logger = bootstrapLogging.CreateLogger("OkrGrid.SiloHost.Startup");
    var connectionString = await OkrGridSilo.ResolveConnectionStringAsync(
        OkrGridSilo.CheckConnectionString(builder.Configuration[OkrGridSilo.ConnectionStringKey]), logger);
    logger.LogInformation("Starting silo {SiloName} of cluster {ClusterId} ({Membership} membership, silo port {SiloPort}, gateway port {GatewayPort}).",
        cluster.EffectiveSiloName, cluster.ClusterId, cluster.EffectiveMembership(standalone: true), cluster.SiloPort, cluster.GatewayPort);

    // Metrics and traces over OTLP when configured, Prometheus text at /metrics when a scrape token is set, and the
    // dashboard's silo part, which every silo needs for the dashboard on the web hosts to see it.
    var telemetry = TelemetrySettings.Read(builder.Configuration);
    builder.Services.AddOkrGridTelemetry(builder.Configuration, "okrgrid-silo",
        metrics: telemetry.ScrapeToken is null ? null : m => m.AddPrometheusExporter(o => o.ScrapeEndpointPath = MetricsPath));
    builder.Services.AddOkrGridHealth()
        .AddCheck<SiloMembershipHealthCheck>("silo")
        .AddCheck<DatabaseHealthCheck>("database");
    builder.UseOrleans(silo => silo
        .UseOkrGridClustering(cluster, connectionString, standalone: true)
        .AddOkrGrid(connectionString)
        .AddOkrGridOperations(builder.Configuration));
});

var app = builder.Build();
app.MapOkrGridHealth();
var metricsServed = TelemetrySettings.Read(app.Configuration) is { Metrics: true, ScrapeToken: not null };
if (TelemetrySettings.Read(app.Configuration) is { Metrics: true, ScrapeToken: { } scrapeToken })
{
    // A scrape needs the token (a bearer compared in constant time): metrics name the cluster's silos and load.
    var expected = Encoding.UTF8.GetBytes($"Bearer {scrapeToken}");
    app.UseWhen(context => context.Request.Path.StartsWithSegments(MetricsPath), metrics => metrics.Use(async (context, next) =>
    {
        var presented = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
        if (!CryptographicOperations.FixedTimeEquals(presented, expected))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return;
        }
        await next(context);
    }));
    app.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
}
app.Lifetime.ApplicationStarted.Register(() =>
    app.Logger.LogInformation("Operations HTTP (/healthz/live, /healthz/ready{Metrics}) on {Urls}.",
        metricsServed ? ", /metrics" : "", string.Join(", ", app.Urls)));
await app.RunAsync();

static bool HttpConfigured(IConfiguration configuration) =>
    !string.IsNullOrWhiteSpace(configuration["urls"]) || !string.IsNullOrWhiteSpace(configuration["http_ports"])
    || !string.IsNullOrWhiteSpace(configuration["https_ports"]) || configuration.GetSection("Kestrel:Endpoints").Exists();

internal static partial class Program
{
    private const string MetricsPath = "/metrics";
}
