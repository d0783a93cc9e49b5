using OkrGrid.Access;
using OkrGrid.Engine.Journal;

namespace OkrGrid.Engine;

/// <summary>
/// The audit entries a grain keeps in its own state: an entry is added to the state with the change it describes, so
/// one state write makes both durable or neither; then it is handed to the audit table. If that hand-over fails (or
/// the process dies first) the entry is handed again with the grain's next change or at its next activation — the
/// table keeps each (source, seq) once.
/// </summary>
internal static class AuditOutbox
{
    /// <summary>Numbers the entry (the grain's <paramref name="seq"/>, incremented) and adds it to the pending list.</summary>
    public static void Add(List<AuditEntry> pending, ref long seq, string source, DateTimeOffset at, Actor? actor,
        string action, string? subject, string? cycleId, object? before, object? after)
    {
        var who = actor ?? Actor.System;
        seq++;
        pending.Add(new AuditEntry(source, seq, at, who.Id, who.Name, who.Via, action, subject, cycleId, AuditJson.Of(before), AuditJson.Of(after)));
    }

    /// <summary>
    /// Hands what is pending to the audit table and forgets what arrived; a failure leaves it pending (false). One
    /// flush at a time per list: entries added meanwhile stay for the next.
    /// </summary>
    public static async Task<bool> FlushAsync(List<AuditEntry> pending, IAuditLog log, ILogger logger, string source)
    {
        if (pending.Count == 0) return true;
        var batch = pending.ToList();
        try
        {
            await log.AppendAsync(batch);
            pending.RemoveRange(0, batch.Count);
            return true;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "{Source}: {Count} audit entries wait in its state for the audit table.", source, batch.Count);
            return false;
        }
    }
}
