namespace OkrGrid.Web.Apis;

/// <summary>The ingest URL's log line, source-generated: it runs per push (CA1848).</summary>
internal static partial class IngestLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Ingest for {SourceId} refused: the token does not match.")]
    public static partial void IngestRefused(this ILogger logger, string sourceId);
}
