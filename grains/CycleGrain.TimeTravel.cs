using OkrGrid.Structure;

namespace OkrGrid.Grains;

/// <summary>
/// The cycle as of a past instant. Rules: a structural change counts from the instant it took effect (its commit, or
/// the earlier instant the system gave a baseline); a check-in or measurement counts from its own date, whenever it
/// was recorded — so a check-in back-dated later changes an instant's answer only if its date is not after it.
/// The structure comes from memory when the instant is after the latest snapshot (the live structure with the later
/// changes taken back), else from the nearest snapshot before it and the log up to it.
/// </summary>
public sealed partial class CycleGrain
{
    /// <summary>When the structure as it stands in memory stopped being the snapshot's: changes after it are in <see cref="_tail"/>.</summary>
    private DateTimeOffset _snapshotAt = DateTimeOffset.MinValue;

    async Task<CycleSnapshot> ICycleGrain.GetSnapshotAtAsync(DateTimeOffset at)
    {
        _ = Definition;
        // Changes and facts are kept to the microsecond: the instant asked for answers as its whole microsecond.
        var asked = at;
        at = Micros(at);
        await EnsureWithinLifetimeAsync(at);
        var structure = await StructureAtAsync(at);
        // Everything is taken from the structure before the next await.
        var info = new CycleInfo(structure.Definition!, structure.Closed, structure.ClosedAt);
        var objectives = structure.Objectives.Values.ToImmutableArray();
        var keyResults = structure.KeyResults.Values.ToImmutableArray();
        var edges = structure.Edges.ToImmutableArray();
        var frozen = structure.Closed ? new Dictionary<string, NodeScore>(structure.Frozen) : null;
        var scores = await ScoreInactiveAsync(objectives, edges, [.. keyResults], [], info, structure.Policy, frozen, at);
        // A past structure has no live version: 0 tells a planner it is not one to build on.
        return new CycleSnapshot(info, structure.Policy, objectives, keyResults, edges, scores, asked, 0);
    }

    async Task<StructureTimeline> ICycleGrain.GetStructureTimelineAsync(DateTimeOffset from)
    {
        _ = Definition;
        var created = await CreatedAtAsync();
        if (from < created) from = created;
        if (from > clock.UtcNow) from = clock.UtcNow;
        var durableSeq = S.Seq - _staged.Count - _writing.Count;
        var baseState = (await StructureAtAsync(from)).ToState();
        ImmutableArray<StructureChange> changes;
        if (from >= _snapshotAt)
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
        _createdAt ??= await store.FirstAtAsync(CycleId) ?? S.At;

    private async Task EnsureWithinLifetimeAsync(DateTimeOffset at)
    {
        var now = clock.UtcNow;
        if (at > now)
            throw OkrRejectedException.Invalid("at", $"{at:yyyy-MM-dd'T'HH:mm:ss'Z'} is in the future; the scorecard is known up to now ({now:yyyy-MM-dd'T'HH:mm:ss'Z'}).");
        var created = await CreatedAtAsync();
        if (at < created)
            throw OkrRejectedException.Invalid("at", $"{at:yyyy-MM-dd'T'HH:mm:ss'Z'} is before cycle '{CycleId}' existed (from {created:yyyy-MM-dd'T'HH:mm:ss'Z'}).");
    }

    /// <summary>
    /// The structure as it was at <paramref name="at"/> (durable changes only). When nothing changed since, that is the
    /// live structure itself: read it before the next await.
    /// </summary>
    private async Task<CycleStructure> StructureAtAsync(DateTimeOffset at)
    {
        if (_staged.Count == 0 && _writing.Count == 0 && at >= S.At) return S;
        if (at >= _snapshotAt)
        {
            var copy = S.Clone();
            for (int i = _staged.Count - 1; i >= 0; i--) copy.Undo(_staged[i].Change, at);
            for (int i = _writing.Count - 1; i >= 0; i--) copy.Undo(_writing[i].Change, at);
            for (int i = _tail.Count - 1; i >= 0 && _tail[i].At > at; i--) copy.Undo(_tail[i], at);
            return copy;
        }
        var (snapshot, changes) = await store.LoadAsOfAsync(CycleId, at);
        var structure = snapshot is null ? new CycleStructure() : CycleStructure.FromState(snapshot);
        foreach (var change in changes) structure.Apply(change);
        return structure;
    }
}
