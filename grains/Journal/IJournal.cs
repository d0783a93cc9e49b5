namespace OkrGrid.Engine.Journal;

/// <summary>A durable fact: a key result's check-in or a KPI's measurement, with who made it (their audit entry).</summary>
public sealed record JournalEntry(
    string NodeId, string EntryId, double Value, double? Confidence, string Note, string Author, DateTimeOffset At,
    string Actor = "", string Via = "");

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

    /// <summary>
    /// One committed entry of a node, or null. For an append whose acknowledgement was lost: its retry finds the entry
    /// committed (<see cref="AppendAsync"/> says false) and takes it from here.
    /// </summary>
    Task<JournalEntry?> GetAsync(string nodeId, string entryId);

    /// <summary>A node's entries in the order they were committed.</summary>
    Task<IReadOnlyList<JournalEntry>> LoadAsync(string nodeId);

    /// <summary>
    /// For many nodes at once, what their scores are computed from: the latest entry by time (the later commit
    /// wins a tie) and the confidence of the latest entry that gave one. Nodes with no entry are left out. With
    /// <paramref name="asOf"/>, only entries dated at or before it count — whenever they were recorded: a check-in
    /// back-dated later changes the answer for an instant only if its own time is not after that instant.
    /// <paramref name="mostOfCycle"/> says the ids are most of that cycle's key results (a cold cycle's scorecard), so the
    /// journal may read the cycle's entries in one scan instead of a probe per node; the answer is the same.
    /// </summary>
    Task<IReadOnlyDictionary<string, LatestEntry>> LatestAsync(IReadOnlyCollection<string> nodeIds, DateTimeOffset? asOf = null, string? mostOfCycle = null);
}

/// <summary>A node's latest value and latest confidence, as <see cref="IJournal.LatestAsync"/> finds them.</summary>
public sealed record LatestEntry(double Value, DateTimeOffset At, double? Confidence);
