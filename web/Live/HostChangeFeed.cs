namespace OkrGrid.Web.Live;

/// <summary>
/// This host's one listener on the cluster's change feed: an observer registered with the registry grain, renewed
/// well within its expiry, handing every batch to the <see cref="LiveBoard"/> (which pages and the hub pushes
/// read). Every web host has its own, so a change on any silo reaches the clients of every host; a hub context is
/// never used inside a grain. Orleans holds observers weakly: this service keeps its reference alive.
/// </summary>
public sealed class HostChangeFeed(IGrainFactory grains, LiveBoard board, OkrGrid.Web.Telemetry.PropagationTracker propagation, ILogger<HostChangeFeed> logger)
    : BackgroundService, IChangeFeedObserver
{
    /// <summary>
    /// The registry drops observers not renewed within 2 minutes; renewing often matters in a cluster, where the registry
    /// restarts empty when its silo dies and silos keep delivering to observers they knew for 15 s
    /// (ChangeFeedPublisher.ObserverGrace). A renewal is one small call.
    /// </summary>
    private static readonly TimeSpan Renewal = TimeSpan.FromSeconds(5);

    /// <summary>A renewal that takes longer is treated as lost (the registry's silo may be dying) and retried.</summary>
    private static readonly TimeSpan RenewalTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A safety net besides the resync after (re)subscribing: the board re-reads what it shows this often.</summary>
    private static readonly TimeSpan Reconcile = TimeSpan.FromSeconds(60);

    /// <summary>Silos re-read the registry every second; changes published before that may not reach a new observer.</summary>
    private static readonly TimeSpan SubscriptionSettles = TimeSpan.FromSeconds(1.5);

    private IChangeFeedObserver? _reference;

    Task IChangeFeedObserver.OnChangesAsync(ImmutableArray<NodeChange> changes)
    {
        propagation.Observe(changes);
        board.Apply(changes);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var registry = grains.GetGrain<IChangeFeedRegistryGrain>(0);
        var lastReconcile = DateTime.UtcNow;
        long? membershipVersion = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _reference ??= grains.CreateObjectReference<IChangeFeedObserver>(this);
                var subscription = await registry.SubscribeAsync(_reference).WaitAsync(RenewalTimeout, stoppingToken);
                // Changes may have been missed: the registry did not list this host (it restarted on another silo after
                // its own died), or a silo joined or died since the last renewal (changes queued on a dead silo never
                // left it). Re-read once the silos have re-read the registry and repaired their roll-ups.
                var missed = board.FeedConnected
                    && (subscription.New || (membershipVersion is { } known && known != subscription.MembershipVersion));
                membershipVersion = subscription.MembershipVersion;
                if (missed)
                {
                    logger.ClusterChanged(subscription.New, subscription.MembershipVersion);
                    await Task.Delay(SubscriptionSettles, stoppingToken);
                    board.Resync();
                    lastReconcile = DateTime.UtcNow;
                }
                if (!board.FeedConnected)
                {
                    logger.Subscribed();
                    board.FeedConnected = true;
                    await Task.Delay(SubscriptionSettles, stoppingToken);
                    board.Resync();
                    board.Ready = true;
                    lastReconcile = DateTime.UtcNow;
                }
                else if (DateTime.UtcNow - lastReconcile > Reconcile)
                {
                    board.Resync();
                    lastReconcile = DateTime.UtcNow;
                }
                await Task.Delay(Renewal, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                if (board.FeedConnected) logger.SubscriptionLost(ex);
                board.FeedConnected = false;
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
        if (_reference is not null)
        {
            // Not stoppingToken: it is cancelled by now, and the unsubscribe is worth its own two seconds.
            try { await registry.UnsubscribeAsync(_reference).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None); }
            catch (Exception ex) { logger.UnsubscribeFailed(ex); }
        }
    }
}
