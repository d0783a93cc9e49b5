using System.Collections.Concurrent;

namespace OkrGrid.Tests.Engine;

/// <summary>A change-feed observer that records what it receives, subscribed through the real cluster client.</summary>
public sealed class FeedRecorder : IChangeFeedObserver
{
    private readonly ConcurrentQueue<NodeChange> _changes = new();
    private IChangeFeedObserver? _reference;
    private EngineCluster? _cluster;

    public IReadOnlyList<NodeChange> Changes => _changes.ToList();

    public Task OnChangesAsync(ImmutableArray<NodeChange> changes)
    {
        foreach (var c in changes) _changes.Enqueue(c);
        return Task.CompletedTask;
    }

    public static async Task<FeedRecorder> SubscribeAsync(EngineCluster cluster)
    {
        var recorder = new FeedRecorder { _cluster = cluster };
        recorder._reference = cluster.Client.CreateObjectReference<IChangeFeedObserver>(recorder);
        await cluster.Grains.GetGrain<IChangeFeedRegistryGrain>(0).SubscribeAsync(recorder._reference);
        // The silo re-reads the registry every second; after that every change reaches this observer.
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        return recorder;
    }

    public async Task<NodeChange> WaitForAsync(Func<NodeChange, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (_changes.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(10);
        }
        throw new TimeoutException("The expected change did not arrive on the feed.");
    }

    public async Task UnsubscribeAsync()
    {
        if (_reference is not null && _cluster is not null)
            await _cluster.Grains.GetGrain<IChangeFeedRegistryGrain>(0).UnsubscribeAsync(_reference);
    }
}
