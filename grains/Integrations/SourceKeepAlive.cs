using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OkrGrid.Engine.Integrations;

/// <summary>
/// Keeps pull sources polling without a reminders table: once the silo is active, and then every
/// <see cref="SourceOptions.KeepAliveInterval"/>, it reads the pull sources of <c>okr_sources</c> and pings each
/// source grain, which re-arms its poll timer when it activates. In a cluster every silo sweeps; a grain has one
/// activation, so the pings only make sure it has one — after a restart, or on another silo once the one it lived on
/// died (its schedule resumes within one sweep).
/// </summary>
public sealed class SourceKeepAlive(SourceStore store, IGrainFactory grains, IOptions<SourceOptions> options, TimeProvider time, ILogger<SourceKeepAlive> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private const int Parallel = 16;
    private CancellationTokenSource? _stop;
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SourceKeepAlive), ServiceLifecycleStage.Active, Start, Stop);

    private Task Start(CancellationToken _)
    {
        _stop = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_stop.Token), _stop.Token);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken _)
    {
        if (_stop is null) return;
        await _stop.CancelAsync();
        try { if (_loop is not null) await _loop; }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }

    /// <summary>Stop disposes the token source; this covers a silo that never reached Stop (a failed start).</summary>
    public void Dispose() => _stop?.Dispose();

    private async Task LoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Value.KeepAliveInterval, time);
        do
        {
            try { await SweepAsync(ct); }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.KeepAliveSweepFailed(e, options.Value.KeepAliveInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(ct));
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        var ids = await store.PullIdsAsync(ct);
        await System.Threading.Tasks.Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = ct },
            async (id, _) =>
            {
                try { await grains.GetGrain<ISourceGrain>(id).KeepAliveAsync(); }
                catch (Exception e) when (e is not OperationCanceledException) { logger.KeepAliveFailed(e, id); }
            });
    }
}

public static class SourceServices
{
    /// <summary>Data sources in a silo: the "Sources" settings, the store, the fetcher and the keep-alive sweep.</summary>
    public static IServiceCollection AddOkrGridSources(this IServiceCollection services)
    {
        services.AddOptions<SourceOptions>();
        services.TryAddSingleton<SourceStore>();
        services.TryAddSingleton<SourceFetcher>();
        services.AddSingleton<SourceKeepAlive>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SourceKeepAlive>());
        return services;
    }
}
