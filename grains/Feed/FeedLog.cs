namespace OkrGrid.Engine.Feed;

/// <summary>The change feed's log lines, source-generated (CA1848): the publisher flushes every 15 ms.</summary>
internal static partial class FeedLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed flush failed; will retry.")]
    public static partial void FlushFailed(this ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the change-feed registry failed; delivering to the observers known.")]
    public static partial void RegistryReadFailed(this ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Change feed delivery to an observer failed; it is retried with the next batch.")]
    public static partial void DeliveryFailed(this ILogger logger, Exception exception);
}
