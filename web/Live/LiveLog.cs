namespace OkrGrid.Web.Live;

/// <summary>
/// The log lines of the change-feed listener and the live board, source-generated: the board's work follows every
/// batch of the feed, so a line whose level is off costs a level check — no boxing, no params array (CA1848).
/// </summary>
internal static partial class LiveLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "The cluster changed (registry restarted: {New}, membership version {Version}); re-reading the board.")]
    public static partial void ClusterChanged(this ILogger logger, bool @new, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to the change feed.")]
    public static partial void Subscribed(this ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change-feed subscription lost; retrying.")]
    public static partial void SubscriptionLost(this ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Unsubscribing from the change feed at shutdown failed.")]
    public static partial void UnsubscribeFailed(this ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-reading cycle {CycleId} for the dashboards failed; retrying.")]
    public static partial void CycleRereadFailed(this ILogger logger, Exception exception, string cycleId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A live-board listener failed.")]
    public static partial void ListenerFailed(this ILogger logger, Exception exception);
}
