using OkrGrid.Domain.Structure;
using OkrGrid.Structure;

namespace OkrGrid.Engine;

/// <summary>
/// The cycle as of a past instant. Rules: a structural change counts from the instant it took effect (its commit, or
/// the earlier instant the system gave a baseline); a check-in or measurement counts from its own date, whenever it
/// was recorded — so a check-in back-dated later changes an instant's answer only if its date is not after it.
/// The structure at an instant is the live one with the later changes taken back — in place, read, and put back in
/// the same turn, so nothing is copied and no other call sees it — when those changes are few (the ones since the
/// latest snapshot are in memory; older ones are read from the log); else the nearest snapshot before the instant
/// and the log up to it.
/// </summary>
public sealed partial class CycleGrain
{
    /// <summary>When the structure as it stands in memory stopped being the snapshot's: changes after it are in <see cref="_tail"/>.</summary>
    private DateTimeOffset _snapshotAt = DateTimeOffset.MinValue;

    /// <summary>What a scorecard as of an instant is computed from, read off the structure then.</summary>
    private sealed record PastStructure(CycleInfo Info, ScoringPolicy Policy, ImmutableArray<ObjectiveDefinition> Objectives,
        ImmutableArray<KeyResultDefinition> KeyResults, ImmutableArray<Edge> Edges, Dictionary<string, NodeScore>? Frozen)
    {
        public static PastStructure Of(CycleStructure s) => new(new CycleInfo(s.Definition!, s.Closed, s.ClosedAt), s.Policy,
            [.. s.Objectives.Values], [.. s.KeyResults.Values], [.. s.Edges], s.Closed ? new(s.Frozen) : null);
    }

    async Task<CycleSnapshot> ICycleGrain.GetSnapshotAtAsync(DateTimeOffset at)
    {
        _ = Definition;
        // Changes and facts are kept to the microsecond: the instant asked for answers as its whole microsecond.
        var asked = at;
        at = Micros(at);
        await EnsureWithinLifetimeAsync(at);
        var past = await ReadAtAsync(at, PastStructure.Of);
        var scores = await ScoreInactiveAsync(past.Objectives, past.Edges, [.. past.KeyResults],
            new(past.Objectives.Length + past.KeyResults.Length), past.Info, past.Policy, past.Frozen, at);
        // A past structure has no live version: 0 tells a planner it is not one to build on.
        return new CycleSnapshot(past.Info, past.Policy, past.Objectives, past.KeyResults, past.Edges, scores, asked, 0);
    }

    async Task<StructureTimeline> ICycleGrain.GetStructureTimelineAsync(DateTimeOffset from)
    {
        _ = Definition;
        var created = await CreatedAtAsync();
        if (from < created) from = created;
        if (from > clock.GetUtcNow()) from = clock.GetUtcNow();
        var baseState = await ReadAtAsync(from, s => s.ToState());
        var durableSeq = _structure.Seq - _staged.Count - _writing.Count;
        ImmutableArray<StructureChange> changes;
        if (baseState.Seq >= _snapshotSeq)
            changes = [.. _tail.Where(c => c.Seq > baseState.Seq && c.Seq <= durableSeq)];
        else
            changes = [.. (await store.LoadChangesAsync(CycleId, baseState.Seq, null)).Where(c => c.Seq <= durableSeq)];
        return new StructureTimeline(baseState, changes, created);
    }

    async Task<ImmutableArray<CheckIn>> ICycleGrain.GetPastCheckInsAsync(string keyResultId)
    {
        _ = Definition;
        if (NodeIds.CycleOf(keyResultId ?? "") != CycleId) throw OkrRejectedException.NotFound("keyResultId", keyResultId ?? "");
        var entries = await journal.LoadAsync(keyResultId!);
        return [.. entries.Select(e => new CheckIn(e.EntryId, e.Value, e.Confidence, e.Note, e.Author, e.At, null, e.Actor, e.Via)).OrderBy(c => c.At)];
    }

    async Task<DateTimeOffset> ICycleGrain.GetCreatedAtAsync()
    {
        _ = Definition;
        return await CreatedAtAsync();
    }

    private async Task<DateTimeOffset> CreatedAtAsync() =>
        _createdAt ??= await store.FirstAtAsync(CycleId) ?? _structure.At;

    private async Task EnsureWithinLifetimeAsync(DateTimeOffset at)
    {
        var now = clock.GetUtcNow();
        if (at > now)
            throw OkrRejectedException.Invalid("at", $"{at:yyyy-MM-dd'T'HH:mm:ss'Z'} is in the future; the scorecard is known up to now ({now:yyyy-MM-dd'T'HH:mm:ss'Z'}).");
        var created = await CreatedAtAsync();
        if (at < created)
            throw OkrRejectedException.Invalid("at", $"{at:yyyy-MM-dd'T'HH:mm:ss'Z'} is before cycle '{CycleId}' existed (from {created:yyyy-MM-dd'T'HH:mm:ss'Z'}).");
    }

    /// <summary>
    /// Reads the structure as it was at <paramref name="at"/> (durable changes only) with <paramref name="read"/>, which
    /// runs synchronously and must copy what it keeps: it may be handed the live structure with later changes taken back.
    /// </summary>
    private async Task<T> ReadAtAsync<T>(DateTimeOffset at, Func<CycleStructure, T> read)
    {
        if (_staged.Count == 0 && _writing.Count == 0 && at >= _structure.At) return read(_structure);
        if (at >= _snapshotAt) return ReadUndone(at, [], read);

        // Before the latest snapshot: the log rows from the instant up to that snapshot, taken back after the tail, when
        // there are no more of them than a snapshot interval holds — else the nearest snapshot and the log after it.
        var seqAt = await store.SeqAtAsync(CycleId, at);
        while (_snapshotSeq - seqAt <= Math.Max(options.Value.SnapshotEvery, _structure.NodeCount / 4))
        {
            var upTo = _snapshotSeq;
            var older = await store.LoadRangeAsync(CycleId, seqAt, upTo);
            // A snapshot written meanwhile dropped from the tail what follows these rows: read them again up to it.
            // Redone on the live structure, the rows bring the values it shares, not the copies they were decoded with.
            if (upTo == _snapshotSeq) return ReadUndone(at, [.. older.Select(_structure.Canonical)], read);
        }
        var (snapshot, changes) = await store.LoadAsOfAsync(CycleId, at);
        var structure = snapshot is null ? new CycleStructure() : CycleStructure.FromState(snapshot);
        foreach (var change in changes) structure.Apply(change);
        return read(structure);
    }

    /// <summary>
    /// Takes back, on the live structure, what is staged, what is being written, the tail's changes after
    /// <paramref name="at"/> and then <paramref name="older"/> (the durable changes just before the tail), newest first;
    /// reads; and applies them all again, oldest first — within this one turn, so no other call sees the structure in
    /// between. Undo and apply of the same change are exact inverses (the structure log's property test).
    /// </summary>
    private T ReadUndone<T>(DateTimeOffset at, IReadOnlyList<StructureChange> older, Func<CycleStructure, T> read)
    {
        var undone = new List<StructureChange>();
        try
        {
            for (int i = _staged.Count - 1; i >= 0; i--) Undo(_staged[i].Change);
            for (int i = _writing.Count - 1; i >= 0; i--) Undo(_writing[i].Change);
            for (int i = _tail.Count - 1; i >= 0 && _tail[i].At > at; i--) Undo(_tail[i]);
            for (int i = older.Count - 1; i >= 0 && older[i].At > at; i--) Undo(older[i]);
        }
        catch (Exception ex) { throw NotPutBack(ex); }
        try
        {
            return read(_structure);
        }
        finally
        {
            try
            {
                for (int i = undone.Count - 1; i >= 0; i--) _structure.Apply(undone[i]);
            }
            // CA2219: deliberately thrown from finally — a structure not put back outranks whatever the read did.
#pragma warning disable CA2219
            catch (Exception ex) { throw NotPutBack(ex); }
#pragma warning restore CA2219
        }

        void Undo(StructureChange change)
        {
            undone.Add(change);
            _structure.Undo(change, at);
        }
    }

    /// <summary>
    /// Cannot happen while undo and apply are inverses. If it did, this activation's structure is no longer the log's
    /// and must not serve another call: the next activation rebuilds it from the log.
    /// </summary>
    private Exception NotPutBack(Exception ex)
    {
        logger.LogCritical(ex, "Cycle {CycleId}: the structure could not be put back after a time travel; deactivating.", CycleId);
        DeactivateOnIdle();
        return new InvalidOperationException($"Cycle '{CycleId}': the structure could not be put back after a time travel.", ex);
    }
}
