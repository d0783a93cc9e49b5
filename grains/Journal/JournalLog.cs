namespace OkrGrid.Engine.Journal;

/// <summary>The journal's log lines, source-generated (CA1848): its loops run per batch of check-ins.</summary>
internal static partial class JournalLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Journal batch of {Count} entries failed; none was acknowledged.")]
    public static partial void BatchFailed(this ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Journal load of {Count} nodes failed.")]
    public static partial void LoadFailed(this ILogger logger, Exception exception, int count);
}
