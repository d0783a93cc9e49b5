using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OkrGrid.Silo;

namespace OkrGrid.Bench;

/// <summary>The engine's "now", pinned for a run so that statuses are exactly reproducible by the reference.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// A pinned "now" the bench moves on by hand (never back): the engine section's clock. It stands still while check-ins
/// are verified; the time-travel figure moves it so that structural changes take effect at distinct instants.
/// </summary>
public sealed class SteppedClock(DateTimeOffset now) : TimeProvider
{
    private long _ticks = now.UtcTicks;

    public DateTimeOffset UtcNow => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => UtcNow;

    /// <summary>Moves the clock to <paramref name="at"/>, which must not be before the clock.</summary>
    public void Set(DateTimeOffset at)
    {
        if (at < UtcNow) throw new ArgumentOutOfRangeException(nameof(at), $"{at:O} is before the clock ({UtcNow:O}).");
        Interlocked.Exchange(ref _ticks, at.UtcTicks);
    }
}

/// <summary>An OkrGrid silo in this process (the same AddOkrGrid as the web host), with its co-hosted client.</summary>
public sealed class EngineHost : IAsyncDisposable
{
    public const string ServiceId = "okrgrid-bench";
    private readonly IHost _host;

    private EngineHost(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>The silo's services (e.g. its journal, to time one of the engine's own queries alone).</summary>
    public IServiceProvider Services => _host.Services;

    public static async Task<EngineHost> StartAsync(string connectionString, TimeProvider clock, int siloPort = 0, int gatewayPort = 0)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The engine's clock (expected progress, check-in dates), pinned; the silo's timers keep the system's time.
        builder.Services.AddKeyedSingleton(EngineClock.Key, clock);
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
