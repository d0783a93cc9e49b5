using OkrGrid.Silo.Hosting;
using OkrGrid.Silo.Storage;
namespace OkrGrid.Web.Hosting;

public static class EngineHosting
{
    /// <summary>
    /// Configuration key of the demo company. By default it is seeded only into the embedded PostgreSQL of a checkout
    /// (no OKRGRID_POSTGRES): a real database is never a demo unless asked to be on its very first start.
    /// </summary>
    public const string SeedDemoKey = "Demo:Seed";

    /// <summary>
    /// Embedded mode co-hosts the OkrGrid silo in this process; its PostgreSQL connection string is resolved before the
    /// host is built: OKRGRID_POSTGRES from configuration or the environment, else the embedded server of deploy/pg.sh,
    /// started if needed. Client mode joins existing silos through their gateways and needs no database of its own.
    /// </summary>
    public static async Task<WebApplicationBuilder> AddOkrGridEngineAsync(this WebApplicationBuilder builder)
    {
        var cluster = ClusterSettings.Read(builder.Configuration);

        using var bootstrapLogging = LoggerFactory.Create(logging => logging
            .AddConfiguration(builder.Configuration.GetSection("Logging"))
            .AddSimpleConsole(o => o.SingleLine = true));
        var logger = bootstrapLogging.CreateLogger("OkrGrid.Web.Startup");

        var configuredDatabase = OkrGridSilo.CheckConnectionString(builder.Configuration[OkrGridSilo.ConnectionStringKey]);
        var seedDemo = cluster.Mode == ClusterMode.Embedded
            && builder.Configuration.GetValue(SeedDemoKey, defaultValue: string.IsNullOrWhiteSpace(configuredDatabase));
        builder.Services.AddSingleton(new DemoSettings(seedDemo));

        switch (cluster.Mode)
        {
            case ClusterMode.Client:
                // Accounts, tokens and the audit trail live in the service's PostgreSQL: a client host needs it too.
                if (string.IsNullOrWhiteSpace(configuredDatabase))
                    throw new OkrGridConfigurationException(
                        $"Cluster:Mode=Client needs {OkrGridSilo.ConnectionStringKey}: accounts, API tokens and the audit trail are in the service's PostgreSQL.");
                var gateways = cluster.GatewayEndpoints();
                logger.LogInformation("Cluster mode {Mode}: joining cluster {ClusterId} through {Gateways}.", cluster.Mode, cluster.ClusterId,
                    gateways.Length > 0 ? string.Join(", ", gateways.Select(g => g.ToString())) : "the gateways in the membership table");
                var dataSource = OkrGridSilo.CreateDataSource(configuredDatabase);
                // The schema this host reads (accounts, the membership table's queries) may be newer than what the
                // silos applied, or not there yet if this host starts first: migrating is idempotent and locked.
                await DatabaseMigrator.MigrateAsync(dataSource, logger, CancellationToken.None);
                builder.Services.AddSingleton(dataSource);
                builder.UseOrleansClient(client => client.UseOkrGridClustering(cluster, configuredDatabase));
                builder.Services.AddEngineClock();
                break;
            case ClusterMode.Embedded:
                var (connectionString, startedEmbedded) = await OkrGridSilo.ResolveDatabaseAsync(configuredDatabase, logger);
                if (startedEmbedded) builder.Services.AddHostedService<EmbeddedPostgresOwner>();
                logger.LogInformation("Cluster mode {Mode}: co-hosting silo {SiloName} ({Membership} membership, silo port {SiloPort}, gateway port {GatewayPort}).",
                    cluster.Mode, cluster.EffectiveSiloName, cluster.EffectiveMembership(standalone: false), cluster.SiloPort, cluster.GatewayPort);
                builder.UseOrleans(silo =>
                {
                    silo.UseOkrGridClustering(cluster, connectionString, standalone: false)
                        .AddOkrGrid(connectionString);
                    if (seedDemo) silo.AddStartupTask<DemoSeeder>();
                });
                break;
            default:
                throw new InvalidOperationException($"Cluster mode {cluster.Mode} is not supported yet.");
        }
        return builder;
    }
}

/// <summary>
/// The embedded PostgreSQL this host started (it was not running before): stopped once the host has stopped — after
/// the silo, which writes until the end — so Ctrl-C leaves nothing behind. One that was already running is left alone.
/// </summary>
internal sealed class EmbeddedPostgresOwner(IHostApplicationLifetime lifetime, ILogger<EmbeddedPostgresOwner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopped.Register(() =>
        {
            try
            {
                logger.LogInformation("Stopping the embedded PostgreSQL this host started (bash deploy/pg.sh stop).");
                EmbeddedPostgres.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not stop the embedded PostgreSQL; stop it with: bash deploy/pg.sh stop");
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
