namespace OkrGrid.Grains;

/// <summary>
/// Lists the change-feed observers of the cluster. Observers re-subscribe periodically; one not renewed within
/// the expiry is dropped. Key: 0.
/// </summary>
[Alias("okr.grains.change-feed-registry-grain")]
public interface IChangeFeedRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Adds or renews an observer. The answer tells a listener when it may have missed changes and should re-read
    /// what it shows: it was not listed (first subscription, or the registry lost its list with the silo it ran on),
    /// or the cluster's membership changed since its last renewal (a silo died: changes queued there never left).
    /// </summary>
    [Alias("Subscribe")] Task<FeedSubscription> SubscribeAsync(IChangeFeedObserver observer);
    [Alias("Unsubscribe")] Task UnsubscribeAsync(IChangeFeedObserver observer);
    [Alias("GetObservers"), AlwaysInterleave] Task<ImmutableArray<IChangeFeedObserver>> GetObserversAsync();
}

/// <summary>
/// The registry's answer to a subscription. <see cref="New"/>: the observer was not listed before this call.
/// <see cref="MembershipVersion"/>: the cluster membership version the registry's silo knows (grows with every
/// silo joining, leaving or declared dead; 0 outside a cluster that has one).
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.grains.feed-subscription")]
public sealed record FeedSubscription([property: Id(0)] bool New, [property: Id(1)] long MembershipVersion);
