namespace OkrGrid.Engine;

/// <summary>
/// The cluster's list of change-feed observers (one per web host or listener). Not persisted: observers
/// re-subscribe periodically, and one that stops renewing expires. If the silo it runs on dies, it starts again
/// empty elsewhere; the silos' publishers keep delivering to the observers they knew meanwhile
/// (<see cref="Feed.ChangeFeedPublisher"/>), and each host learns from its next renewal that it must re-read.
/// </summary>
public sealed class ChangeFeedRegistryGrain(IClusterMembershipService membership, TimeProvider time) : Grain, IChangeFeedRegistryGrain
{
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(2);
    private readonly Dictionary<IChangeFeedObserver, DateTimeOffset> _observers = new();

    Task<FeedSubscription> IChangeFeedRegistryGrain.SubscribeAsync(IChangeFeedObserver observer)
    {
        var isNew = !_observers.ContainsKey(observer);
        _observers[observer] = time.GetUtcNow();
        return Task.FromResult(new FeedSubscription(isNew, membership.CurrentSnapshot.Version.Value));
    }

    Task IChangeFeedRegistryGrain.UnsubscribeAsync(IChangeFeedObserver observer)
    {
        _observers.Remove(observer);
        return Task.CompletedTask;
    }

    Task<ImmutableArray<IChangeFeedObserver>> IChangeFeedRegistryGrain.GetObserversAsync()
    {
        var now = time.GetUtcNow();
        foreach (var expired in _observers.Where(o => now - o.Value > Expiry).Select(o => o.Key).ToList())
            _observers.Remove(expired);
        return Task.FromResult(_observers.Keys.ToImmutableArray());
    }
}
