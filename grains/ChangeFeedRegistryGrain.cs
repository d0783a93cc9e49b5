namespace OkrGrid.Grains;

/// <summary>
/// The cluster's list of change-feed observers (one per web host or listener). Not persisted: observers
/// re-subscribe periodically, and one that stops renewing expires.
/// </summary>
public sealed class ChangeFeedRegistryGrain : Grain, IChangeFeedRegistryGrain
{
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(2);
    private readonly Dictionary<IChangeFeedObserver, DateTime> _observers = new();

    Task IChangeFeedRegistryGrain.SubscribeAsync(IChangeFeedObserver observer)
    {
        _observers[observer] = DateTime.UtcNow;
        return Task.CompletedTask;
    }

    Task IChangeFeedRegistryGrain.UnsubscribeAsync(IChangeFeedObserver observer)
    {
        _observers.Remove(observer);
        return Task.CompletedTask;
    }

    Task<ImmutableArray<IChangeFeedObserver>> IChangeFeedRegistryGrain.GetObserversAsync()
    {
        var now = DateTime.UtcNow;
        foreach (var expired in _observers.Where(o => now - o.Value > Expiry).Select(o => o.Key).ToList())
            _observers.Remove(expired);
        return Task.FromResult(_observers.Keys.ToImmutableArray());
    }
}
