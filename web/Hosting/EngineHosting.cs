namespace OkrGrid.Web.Hosting;

public static class EngineHosting
{
    /// <summary>Configuration key that turns the demo company off (on by default).</summary>
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

        var seedDemo = builder.Configuration.GetValue(SeedDemoKey, defaultValue: true);

        switch (cluster.Mode)
        {
            case ClusterMode.Client:
                var gateways = cluster.GatewayEndpoints();
                logger.LogInformation("Cluster mode {Mode}: joining cluster {ClusterId} through {Gateways}.",
                    cluster.Mode, cluster.ClusterId, string.Join(", ", gateways.Select(g => g.ToString())));
                builder.UseOrleansClient(client => client
                    .UseStaticClustering(gateways)
                    .Configure<Orleans.Configuration.ClusterOptions>(o => { o.ServiceId = cluster.ServiceId; o.ClusterId = cluster.ClusterId; }));
                builder.Services.AddSingleton<IEngineClock, SystemEngineClock>();
                break;
            case ClusterMode.Embedded:
                var connectionString = await OkrGridSilo.ResolveConnectionStringAsync(
                    builder.Configuration[OkrGridSilo.ConnectionStringKey], logger);
                logger.LogInformation("Cluster mode {Mode}: co-hosting a silo (silo port {SiloPort}, gateway port {GatewayPort}).",
                    cluster.Mode, cluster.SiloPort, cluster.GatewayPort);
                builder.UseOrleans(silo =>
                {
                    silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort,
                            serviceId: cluster.ServiceId, clusterId: cluster.ClusterId)
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
