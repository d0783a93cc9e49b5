using OkrGrid.Sources;

namespace OkrGrid.Engine.Integrations;

/// <summary>
/// The log lines of data sources, ingest and webhooks, source-generated: these run per pull, push and delivery, so a
/// line whose level is off costs a level check — no boxing, no params array, no template parse (CA1848).
/// </summary>
internal static partial class IntegrationsLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Source {SourceId} ({Kind}) created for {NodeId} by {Actor}.")]
    public static partial void SourceCreated(this ILogger logger, string sourceId, SourceKind kind, string nodeId, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {SourceId}: recording a pulled value failed.")]
    public static partial void SourceValueNotRecorded(this ILogger logger, Exception exception, string sourceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {SourceId} failed ({Failures} in a row): {Error}")]
    public static partial void SourceFailed(this ILogger logger, string sourceId, int failures, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {SourceId}: its status could not be written.")]
    public static partial void SourceStatusNotWritten(this ILogger logger, Exception exception, string sourceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sources keep-alive sweep failed; it runs again in {Interval}.")]
    public static partial void KeepAliveSweepFailed(this ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Keep-alive of source {SourceId} failed.")]
    public static partial void KeepAliveFailed(this ILogger logger, Exception exception, string sourceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook deliveries could not be claimed ({Error}); trying again.")]
    public static partial void DeliveriesNotClaimed(this ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId}: delivery {DeliveryId} attempt {Attempt} failed ({Error}){Outcome}.")]
    public static partial void DeliveryFailed(this ILogger logger, string webhookId, Guid deliveryId, int attempt, string? error, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outcomes of {Count} webhook deliveries could not be recorded ({Error}); trying again.")]
    public static partial void OutcomesNotRecordedRetrying(this ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outcomes of {Count} webhook deliveries could not be recorded ({Error}); they will be tried again.")]
    public static partial void OutcomesNotRecordedLater(this ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook transitions of {Count} nodes could not be written ({Error}); retrying.")]
    public static partial void TransitionsNotWritten(this ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The webhook status sweep failed ({Error}); it runs again in {Interval}.")]
    public static partial void StatusSweepFailed(this ILogger logger, string error, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the audit trail for webhook events failed ({Error}); retrying.")]
    public static partial void AuditReadFailed(this ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Check-in reminders could not be sent ({Error}); retrying.")]
    public static partial void RemindersNotSent(this ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Check-in reminders: {Teams} team cadence(s) came round; {Events} reminder(s), {Deliveries} delivery(ies).")]
    public static partial void RemindersSent(this ILogger logger, int teams, int events, int deliveries);
}
