using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OkrGrid.Silo;
using OkrGrid.Silo.Hosting;
using OkrGrid.Silo.Telemetry;

// The standalone silo: the engine alone — the same grains, storage, journal, change feed and migrations as a web host's
// embedded silo (OkrGridSilo.AddOkrGrid), no API, pages or hub. Web hosts in Cluster:Mode=Client serve users from a
// cluster of these; they find the silos' gateways in the membership table in PostgreSQL.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });

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

    // Metrics and traces over OTLP when configured (a silo serves no HTTP, so no /metrics here), and the dashboard's
    // silo part, which every silo needs for the dashboard on the web hosts to see it.
    builder.Services.AddOkrGridTelemetry(builder.Configuration, "okrgrid-silo");
    builder.UseOrleans(silo => silo
        .UseOkrGridClustering(cluster, connectionString, standalone: true)
        .AddOkrGrid(connectionString)
        .AddOkrGridOperations(builder.Configuration));
});

await builder.Build().RunAsync();
