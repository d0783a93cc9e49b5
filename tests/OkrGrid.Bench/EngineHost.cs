using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OkrGrid.Silo;

namespace OkrGrid.Bench;

/// <summary>The engine's "now", pinned for a run so that statuses are exactly reproducible by the reference.</summary>
public sealed class FixedClock(DateTimeOffset now) : IEngineClock
{
    public DateTimeOffset UtcNow => now;
}

/// <summary>An OkrGrid silo in this process (the same AddOkrGrid as the web host), with its co-hosted client.</summary>
public sealed class EngineHost : IAsyncDisposable
{
    public const string ServiceId = "okrgrid-bench";
    private readonly IHost _host;

    private EngineHost(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<EngineHost> StartAsync(string connectionString, IEngineClock clock, int siloPort = 0, int gatewayPort = 0)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(clock);
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort == 0 ? FreePort() : siloPort, gatewayPort == 0 ? FreePort() : gatewayPort,
                serviceId: ServiceId, clusterId: ServiceId)
            .AddOkrGrid(connectionString));
        var host = builder.Build();
        await host.StartAsync();
        return new EngineHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
