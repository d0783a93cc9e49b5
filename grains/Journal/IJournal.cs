namespace OkrGrid.Grains.Journal;

/// <summary>A durable fact: a key result's check-in or a KPI's measurement.</summary>
public sealed record JournalEntry(
    string NodeId, string EntryId, double Value, double? Confidence, string Note, string Author, DateTimeOffset At);

/// <summary>
/// The append-only journal of check-ins and measurements. Scores are derived from it, so only facts are written,
/// and a node's facts are read back when it activates.
/// </summary>
public interface IJournal
{
    /// <summary>
    /// Completes once the entry is committed. Returns false when an entry with the same node and entry id was
    /// already there (a retry), in which case nothing was written.
    /// </summary>
    Task<bool> AppendAsync(JournalEntry entry);

    /// <summary>A node's entries in the order they were committed.</summary>
    Task<IReadOnlyList<JournalEntry>> LoadAsync(string nodeId);
}
