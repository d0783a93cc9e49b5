using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>
/// Receives batches of node changes; one per web host or other listener. Batches arrive one at a time and in the
/// order they were published; per node, versions grow.
/// </summary>
public interface IChangeFeedObserver : IGrainObserver
{
    Task OnChangesAsync(ImmutableArray<NodeChange> changes);
}

/// <summary>
/// Lists the change-feed observers of the cluster. Observers re-subscribe periodically; one not renewed within
/// the expiry is dropped. Key: 0.
/// </summary>
public interface IChangeFeedRegistryGrain : IGrainWithIntegerKey
{
    Task SubscribeAsync(IChangeFeedObserver observer);
    Task UnsubscribeAsync(IChangeFeedObserver observer);
    [AlwaysInterleave] Task<ImmutableArray<IChangeFeedObserver>> GetObserversAsync();
}
