using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using OkrGrid.Grains;
using OkrGrid.Grains.Telemetry;

namespace OkrGrid.Grains.Feed;

/// <summary>
/// The silo's outbox of node changes. Grains enqueue without waiting; every flush interval (15 ms by default) the
/// queue goes out as one batch to every observer in the registry. Each observer has its own delivery pipe: batches
/// reach it in order, one call at a time, and a slow observer gets the batches that piled up merged into one —
/// it never holds up the feed or another observer.
/// </summary>
public sealed class ChangeFeedPublisher(IGrainFactory grains, IOptions<EngineOptions> options, ILogger<ChangeFeedPublisher> logger)
    : BackgroundService
{
    private static readonly TimeSpan ObserverRefresh = TimeSpan.FromSeconds(1);
    private readonly ConcurrentQueue<NodeChange> _queue = new();
    private readonly Dictionary<IChangeFeedObserver, ObserverPipe> _pipes = [];
    private DateTime _observersFetched = DateTime.MinValue;

    public void Publish(NodeChange change)
    {
        // Nobody listening: nothing to keep. The registry is re-read every second, so a new observer gets changes
        // within a second of subscribing (and reads current state when it subscribes anyway).
        if (_pipes.Count == 0 && DateTime.UtcNow - _observersFetched < ObserverRefresh) return;
        _queue.Enqueue(change);
        OkrGridMetrics.FeedBacklog.Add(1);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FeedFlushInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await RefreshObserversAsync();
                Flush();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Change feed flush failed; will retry.");
            }
        }
        foreach (var pipe in _pipes.Values) pipe.Complete();
    }

    private async Task RefreshObserversAsync()
    {
        if (DateTime.UtcNow - _observersFetched < ObserverRefresh) return;
        var current = await grains.GetGrain<IChangeFeedRegistryGrain>(0).GetObserversAsync();
        _observersFetched = DateTime.UtcNow;
        foreach (var gone in _pipes.Keys.Except(current).ToList())
        {
            _pipes[gone].Complete();
            _pipes.Remove(gone);
        }
        foreach (var observer in current.Where(o => !_pipes.ContainsKey(o)))
            _pipes[observer] = new ObserverPipe(observer, logger);
    }

    private void Flush()
    {
        if (_queue.IsEmpty) return;
        var batch = ImmutableArray.CreateBuilder<NodeChange>(_queue.Count);
        while (_queue.TryDequeue(out var c)) batch.Add(c);
        var changes = batch.ToImmutable();
        // The backlog moves from the outbox to each observer's pipe (counted once per observer it is for).
        OkrGridMetrics.FeedBacklog.Add(changes.Length * (long)_pipes.Count - changes.Length);
        foreach (var pipe in _pipes.Values) pipe.Send(changes);
    }

    /// <summary>Delivers batches to one observer in order, merging what piled up while a delivery was under way.</summary>
    private sealed class ObserverPipe
    {
        private readonly Channel<ImmutableArray<NodeChange>> _channel = Channel.CreateUnbounded<ImmutableArray<NodeChange>>(new() { SingleReader = true });
        private readonly IChangeFeedObserver _observer;
        private readonly ILogger _logger;

        public ObserverPipe(IChangeFeedObserver observer, ILogger logger)
        {
            _observer = observer;
            _logger = logger;
            _ = Task.Run(DeliverAsync);
        }

        public void Send(ImmutableArray<NodeChange> changes) => _channel.Writer.TryWrite(changes);

        public void Complete() => _channel.Writer.TryComplete();

        private async Task DeliverAsync()
        {
            var reader = _channel.Reader;
            while (await reader.WaitToReadAsync())
            {
                var merged = ImmutableArray.CreateBuilder<NodeChange>();
                while (reader.TryRead(out var batch)) merged.AddRange(batch);
                try
                {
                    await _observer.OnChangesAsync(merged.ToImmutable());
                }
                catch (Exception ex)
                {
                    // A gone observer expires from the registry; until then its deliveries fail quietly.
                    _logger.LogDebug(ex, "Change feed delivery to an observer failed.");
                }
                finally
                {
                    OkrGridMetrics.FeedBacklog.Add(-merged.Count);
                }
            }
        }
    }
}
