using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Silo;
using Orleans.TestingHost;

namespace OkrGrid.Tests.Engine;

/// <summary>
/// A clock the tests set; the engine reads "now" from it for expected progress. Only "now" is pinned: timers and
/// timestamps stay the system's (the engine's clock is never used for timers).
/// </summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset UtcNow { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => UtcNow;
}

/// <summary>
/// An in-process Orleans cluster running the real engine on a real PostgreSQL database. It can be stopped and
/// started again on the same database, which is how durability is tested.
/// </summary>
public sealed class EngineCluster : IAsyncDisposable
{
    public const string Company = "acme";

    private InProcessTestCluster? _cluster;
    private readonly string _serviceId = $"okrgrid-test-{Guid.NewGuid():N}";

    private EngineCluster(string connectionString, TestClock clock, Action<EngineOptions>? engine, Action<ISiloBuilder>? silo)
    {
        ConnectionString = connectionString;
        Clock = clock;
        Engine = engine;
        Silo = silo;
    }

    private Action<ISiloBuilder>? Silo { get; }

    public string ConnectionString { get; }
    public TestClock Clock { get; }
    private Action<EngineOptions>? Engine { get; }
    public IClusterClient Client => _cluster?.Client ?? throw new InvalidOperationException("The cluster is stopped.");
    public IGrainFactory Grains => Client;

    /// <param name="silo">More configuration of the silo, after the engine's (e.g. a journal that loses acknowledgements).</param>
    public static async Task<EngineCluster> StartAsync(string name, DateTimeOffset now, Action<EngineOptions>? engine = null, Action<ISiloBuilder>? silo = null)
    {
        var cluster = new EngineCluster(await TestDatabase.CreateAsync(name), new TestClock(now), engine, silo);
        await cluster.StartAsync();
        return cluster;
    }

    public async Task StartAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        // Grain state is keyed by service id: a restarted cluster must be the same service to find its state.
        builder.Options.ServiceId = _serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddKeyedSingleton<TimeProvider>(EngineClock.Key, Clock);
            silo.AddOkrGrid(ConnectionString, Engine);
            Silo?.Invoke(silo);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    /// <summary>Stops every silo (in-memory state is gone); <see cref="StartAsync()"/> brings up a new one.</summary>
    public async Task StopAsync()
    {
        if (_cluster is null) return;
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        _cluster = null;
    }

    /// <summary>Kills the silo without a graceful shutdown: no deactivation, nothing flushed.</summary>
    public async Task KillAsync()
    {
        if (_cluster is null) return;
        foreach (var silo in _cluster.Silos.ToList()) await _cluster.KillSiloAsync(silo);
        await _cluster.DisposeAsync();
        _cluster = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await TestDatabase.DropAsync(ConnectionString);
    }

    public IOrganisationGrain Organisation => Grains.GetGrain<IOrganisationGrain>(Company);
    public ICycleGrain Cycle(string id) => Grains.GetGrain<ICycleGrain>(id);
    public IObjectiveGrain Objective(string id) => Grains.GetGrain<IObjectiveGrain>(id);
    public IKeyResultGrain KeyResult(string id) => Grains.GetGrain<IKeyResultGrain>(id);
    public IKpiGrain Kpi(string id) => Grains.GetGrain<IKpiGrain>(id);

    /// <summary>
    /// Waits until every node's score equals the expected one (the engine is eventually consistent by design).
    /// Returns the last snapshot; the caller asserts on it, so a timeout shows the difference.
    /// </summary>
    public async Task<CycleSnapshot> WaitForAsync(string cycleId, Func<CycleSnapshot, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var snapshot = await Cycle(cycleId).GetSnapshotAsync();
            if (done(snapshot) || DateTime.UtcNow > deadline) return snapshot;
            await Task.Delay(25);
        }
    }

    /// <summary>Waits until no node's version moves between two snapshots 200 ms apart.</summary>
    public async Task<CycleSnapshot> WaitQuietAsync(string cycleId)
    {
        CycleSnapshot? previous = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await Task.Delay(200);
            var s = await Cycle(cycleId).GetSnapshotAsync();
            if (previous is not null && s.Scores.Count == previous.Scores.Count
                && s.Scores.All(kv => previous.Scores.TryGetValue(kv.Key, out var p) && p.Version == kv.Value.Version))
                return s;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Cycle {cycleId} did not settle in 30 s.");
            previous = s;
        }
    }
}
