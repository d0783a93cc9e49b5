using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using OkrGrid.Engine.Telemetry;

namespace OkrGrid.Engine.Feed;

/// <summary>
/// Something in the silo that must see every change a grain here publishes (the webhooks' transition detector). Called
/// on the publishing grain's turn: it must only queue, never block or call out.
/// </summary>
public interface INodeChangeTap
{
    void Observe(NodeChange change);
}

/// <summary>
/// The silo's outbox of node changes. Grains enqueue without waiting; every flush interval (15 ms by default) the
/// queue goes out as one batch to every observer in the registry. Each observer has its own delivery pipe: batches
/// reach it in order, one call at a time, and a slow observer gets the batches that piled up merged into one —
/// it never holds up the feed or another observer.
/// </summary>
/// <remarks>
/// In a cluster the registry grain lives on one silo, and that silo can die. So the registry is read beside the
/// flushes, never in their way (a call to a dead silo's activation can take until the silo is declared dead), and an
/// observer the registry no longer lists keeps its pipe for <see cref="ObserverGrace"/>: a registry that restarted
/// empty elsewhere hears from every host again within one renewal (5 s), and changes published meanwhile still
/// reach them.
/// </remarks>
public sealed class ChangeFeedPublisher(IGrainFactory grains, IOptions<EngineOptions> options, TimeProvider time, ILogger<ChangeFeedPublisher> logger,
    IEnumerable<INodeChangeTap> taps)
    : BackgroundService
{
    private readonly INodeChangeTap[] _taps = [.. taps];

    private static readonly TimeSpan ObserverRefresh = TimeSpan.FromSeconds(1);

    /// <summary>A registry call that takes longer is abandoned and tried again at the next refresh.</summary>
    private static readonly TimeSpan RegistryTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long an observer the registry stopped listing is still delivered to (3 of the hosts' renewals).</summary>
    public static readonly TimeSpan ObserverGrace = TimeSpan.FromSeconds(15);

    private readonly ConcurrentQueue<NodeChange> _queue = new();
    /// <summary>Replaced as a whole by the refresh loop; read by flushes and publishers on other threads.</summary>
    private volatile Dictionary<IChangeFeedObserver, ObserverPipe> _pipes = [];
    private readonly Dictionary<IChangeFeedObserver, DateTimeOffset> _lastListed = [];
    private long _observersFetchedTicks;

    private DateTimeOffset ObserversFetched => new(Interlocked.Read(ref _observersFetchedTicks), TimeSpan.Zero);

    public void Publish(NodeChange change)
    {
        // Taps in this silo (webhooks) see every change, listened to or not; each returns at once.
        foreach (var tap in _taps) tap.Observe(change);
        // Nobody listening: nothing to keep. The registry is re-read every second, so a new observer gets changes
        // within a second of subscribing (and reads current state when it subscribes anyway).
        if (_pipes.Count == 0 && time.GetUtcNow() - ObserversFetched < ObserverRefresh) return;
        _queue.Enqueue(change);
        OkrGridMetrics.FeedBacklog.Add(1);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var refresh = Task.Run(() => RefreshLoopAsync(stoppingToken), CancellationToken.None);
        using var timer = new PeriodicTimer(options.Value.FeedFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    Flush();
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.FlushFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await refresh.ConfigureAwait(false);
        foreach (var pipe in _pipes.Values) pipe.Complete();
    }

    private async Task RefreshLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ObserverRefresh, time);
        do
        {
            try
            {
                await RefreshObserversAsync().WaitAsync(RegistryTimeout, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                // The registry's silo may be dying: keep delivering to the observers known, and ask again in a second.
                logger.RegistryReadFailed(ex);
            }
        }
        while (await WaitTickAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try { return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }

    private async Task RefreshObserversAsync()
    {
        var current = await grains.GetGrain<IChangeFeedRegistryGrain>(0).GetObserversAsync();
        var now = time.GetUtcNow();
        Interlocked.Exchange(ref _observersFetchedTicks, now.UtcTicks);
        foreach (var observer in current) _lastListed[observer] = now;
        var next = new Dictionary<IChangeFeedObserver, ObserverPipe>(_pipes);
        foreach (var (observer, listed) in _lastListed.ToList())
        {
            if (now - listed <= ObserverGrace) continue;
            _lastListed.Remove(observer);
            if (next.Remove(observer, out var gone)) gone.Complete();
        }
        foreach (var observer in current.Where(o => !next.ContainsKey(o)))
            next[observer] = new ObserverPipe(observer, logger);
        _pipes = next;
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
        /// <summary>A delivery that takes longer is treated as failed and retried (with whatever came meanwhile).</summary>
        private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(2);
        private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);
        private const int MaxCarried = 100_000;

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
            // A batch whose delivery failed or timed out goes again with the next one: the observer keeps the newest
            // version per node, so a repeat is harmless, and dropping it could leave a screen wrong.
            var carried = ImmutableArray<NodeChange>.Empty;
            while (true)
            {
                if (carried.IsEmpty)
                {
                    if (!await reader.WaitToReadAsync()) return;
                }
                else
                {
                    // After a failure: retry on new data or after a short pause, whichever comes first.
                    using var pause = new CancellationTokenSource(RetryPause);
                    try { if (!await reader.WaitToReadAsync(pause.Token)) return; }
                    catch (OperationCanceledException) { }
                }
                var merged = ImmutableArray.CreateBuilder<NodeChange>();
                merged.AddRange(carried);
                while (reader.TryRead(out var batch)) merged.AddRange(batch);
                var changes = merged.ToImmutable();
                try
                {
                    // Not Orleans' 30 s response timeout: a delivery routed through a gateway that just died waits for
                    // that, and every later batch of this silo would wait behind it.
                    await _observer.OnChangesAsync(changes).WaitAsync(DeliveryTimeout);
                    carried = ImmutableArray<NodeChange>.Empty;
                }
                catch (Exception ex)
                {
                    // A gone observer expires from the registry; until then its deliveries fail quietly. Keep the
                    // newest of what failed for the next attempt, bounded so a dead observer cannot grow it for ever.
                    _logger.DeliveryFailed(ex);
                    carried = changes.Length <= MaxCarried ? changes : changes[^MaxCarried..];
                }
                finally
                {
                    OkrGridMetrics.FeedBacklog.Add(-merged.Count);
                }
            }
        }
    }
}
