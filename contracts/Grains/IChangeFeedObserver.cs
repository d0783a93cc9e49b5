using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>
/// Receives batches of node changes; one per web host or other listener. Batches arrive one at a time and in the
/// order they were published; per node, versions grow.
/// </summary>
[Alias("okr.grains.change-feed-observer")]
public interface IChangeFeedObserver : IGrainObserver
{
    [Alias("OnChanges")] Task OnChangesAsync(ImmutableArray<NodeChange> changes);
}
