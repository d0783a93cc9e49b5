using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Access;
using OkrGrid.Domain.Structure;
using OkrGrid.Engine.Feed;
using OkrGrid.Engine.Journal;
using OkrGrid.Engine.Structure;
using OkrGrid.Structure;

namespace OkrGrid.Engine;

/// <summary>
/// Owns one cycle's structure, kept in memory as a <see cref="CycleStructure"/> and stored as an append-only log of
/// changes (<see cref="StructureStore"/>) with a snapshot now and then. A command is validated against the live
/// structure and becomes a few ops that change it in time proportional to the change, never to the cycle; its log row
/// is written in a shared commit with whatever other commands arrived meanwhile (group commit, like the check-in
/// journal), and the caller is answered once that commit is durable. Only then are the affected node grains told —
/// new parents first, so a parent knows a child before the child starts reporting to it, then the node, then old parents.
/// Node grains read their setup from here when they activate (an interleaving read), and never call in otherwise.
/// </summary>
/// <remarks>
/// The grain is reentrant so that commands queue behind one another while a commit is in flight, but validating and
/// applying a command is serialised by <see cref="_gate"/>: each sees the structure every earlier command left. A
/// command's ops are applied before its row is durable; if the commit fails, that change and every change staged after
/// it are taken back (newest first) and their callers get the error — all or none, in order.
/// </remarks>
[Orleans.Concurrency.Reentrant]
[SuppressMessage("Design", "CA1001", Justification = "_gate is a SemaphoreSlim whose wait handle is never asked for: it holds nothing to dispose, and the activation's end is Orleans' to run.")]
public sealed partial class CycleGrain(
    [PersistentState("cycle", StorageNames.Okr)] IPersistentState<CycleRecord> legacy,
    IStructureStore store, IOptions<EngineOptions> options,
    [FromKeyedServices(EngineClock.Key)] TimeProvider clock, LocalScores localScores, IJournal journal, IAuditLog audit, ChangeFeedPublisher feed, ILogger<CycleGrain> logger)
    : Grain, ICycleGrain
{
    /// <summary>The live structure: every applied change, including staged ones whose rows are not yet durable.</summary>
    private CycleStructure _structure = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Staged> _staged = [];
    /// <summary>The batch being written: applied in memory, not yet durable (time travel takes it back like <see cref="_staged"/>).</summary>
    private List<Staged> _writing = [];
    private bool _flushing;
    /// <summary>Durable changes after the latest snapshot, oldest first: what time travel to the recent past undoes.</summary>
    private readonly List<StructureChange> _tail = [];
    /// <summary>The ops in <see cref="_tail"/>: what an activation would replay, and what the tail holds in memory.</summary>
    private long _tailOps;
    private long _snapshotSeq;
    private bool _snapshotting;
    private DateTimeOffset? _createdAt;
    private readonly List<AuditEntry> _pendingAudit = [];
    private long _structureVersion;

    private sealed record Staged(StructureChange Change, DateTimeOffset PreviousAt, AuditEntry? Audit, IReadOnlyList<(string Id, NodeKind Kind)> Touched, TaskCompletionSource Done);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A version of its own per activation, so one read before a deactivation never equals one read after: the
        // machine's time (the engine clock may stand still in tests), later than any version of an earlier activation.
        _structureVersion = Math.Max(Versions.Of(clock.GetUtcNow()), Versions.Of(DateTimeOffset.UtcNow));
        var stored = await store.LoadLatestAsync(CycleId);
        if (stored.Snapshot is null && stored.Tail.Count == 0)
        {
            if (legacy.RecordExists && legacy.State.Definition is not null) await MigrateLegacyAsync();
            return;
        }
        try
        {
            _structure = stored.Snapshot is null ? new CycleStructure() : CycleStructure.FromState(stored.Snapshot);
            _structure.ShareRepeatedValues(); // a snapshot written before values were shared holds a copy per node
        }
        catch (InvalidDataException ex)
        {
            throw StructureLogCorruption.Error(CycleId, stored.Snapshot!.Seq, "snapshot", ex);
        }
        _snapshotSeq = _structure.Seq;
        _snapshotAt = stored.Snapshot?.At ?? DateTimeOffset.MinValue;
        foreach (var row in stored.Tail)
        {
            // Each row decodes with copies of its own (the cycle id, owners, ids its edges name): the structure and
            // the tail keep the shared instances instead.
            StructureChange change;
            try { _structure.Apply(change = _structure.Canonical(row.Change)); }
            catch (InvalidDataException ex) { throw StructureLogCorruption.Error(CycleId, row.Change.Seq, "log row", ex); }
            _tail.Add(change);
            _tailOps += change.Ops.Length;
        }
        // Entries of changes committed just before a crash reach the audit table now (it keeps each (source, seq) once).
        var audited = await audit.LastSeqAsync(AuditSource);
        _pendingAudit.AddRange(stored.Tail.Select(r => r.Audit).OfType<AuditEntry>().Where(a => a.Seq > audited));
        await FlushAuditAsync();
        RenotifyLatestChanges();
    }

    /// <summary>Changes whose nodes are told again when the cycle activates.</summary>
    private const int RenotifiedChanges = 64;
    private const int RenotifiedNodesAtMost = 2_000;

    /// <summary>
    /// A change is committed before its nodes are told. If the previous activation died in between (its silo was killed),
    /// nodes active elsewhere kept their old setup — an objective its old children, a key result its old parent — and
    /// nothing would correct them while they stay active: the cluster test found objectives off the reference for good
    /// after a kill -9 under moves. So a new activation tells the nodes of its latest changes again, after activating
    /// (telling is idempotent; a node not active reads its setup when it activates anyway).
    /// </summary>
    private void RenotifyLatestChanges()
    {
        if (_tail.Count == 0) return;
        var nodes = new List<(string Id, NodeKind Kind)>();
        foreach (var op in _tail.Skip(Math.Max(0, _tail.Count - RenotifiedChanges)).SelectMany(c => c.Ops))
        {
            if (nodes.Count > RenotifiedNodesAtMost) break; // an import: its nodes were told all at once, and are mostly asleep
            switch (op)
            {
                case ObjectivePut put: nodes.Add((put.Objective.Id, NodeKind.Objective)); break;
                case KeyResultPut put: nodes.Add((put.KeyResult.Id, NodeKind.KeyResult)); break;
                case NodeRemoved removed: nodes.Add((removed.NodeId, removed.Objective is not null ? NodeKind.Objective : NodeKind.KeyResult)); break;
                case EdgeAdded or EdgeRemoved:
                    var edge = op is EdgeAdded a ? a.Edge : ((EdgeRemoved)op).Edge;
                    nodes.Add((edge.ParentId, NodeKind.Objective));
                    if (_structure.Objectives.ContainsKey(edge.ChildId)) nodes.Add((edge.ChildId, NodeKind.Objective));
                    else if (_structure.KeyResults.ContainsKey(edge.ChildId)) nodes.Add((edge.ChildId, NodeKind.KeyResult));
                    break;
            }
        }
        if (nodes.Count == 0) return;
        IGrainTimer? once = null;
        once = this.RegisterGrainTimer(async () =>
        {
            once?.Dispose();
            await NotifyAsync(nodes);
        }, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    /// <summary>
    /// A cycle stored the old way (one state row) becomes a snapshot of that row, effective from the cycle's start (or
    /// from now, for a cycle that has not started): nothing older is known. Its log continues after the old row's
    /// last audit number, so audit entries keep distinct numbers. The old row is left untouched.
    /// </summary>
    private async Task MigrateLegacyAsync()
    {
        var old = legacy.State;
        var at = Micros(Min(old.Definition!.Start, clock.GetUtcNow()));
        _structure = CycleStructure.FromParts(old.CompanyId, old.Definition, old.Policy, old.Closed, old.ClosedAt, old.Objectives.Values, old.KeyResults.Values,
            old.Edges, old.Frozen.Values, old.NextId, old.AuditSeq, at);
        _structure.ShareRepeatedValues();
        await store.WriteSnapshotAsync(CycleId, _structure.ToState());
        _snapshotSeq = _structure.Seq;
        _snapshotAt = _structure.At;
        _pendingAudit.AddRange(old.PendingAudit);
        await FlushAuditAsync();
        logger.LogInformation("Cycle {CycleId}: moved from one state row to the structure log ({Nodes} nodes, {Edges} edges).",
            CycleId, _structure.NodeCount, _structure.EdgeCount);
    }

    private string? _key;

    /// <summary>
    /// The cycle's id — the instance its definition holds, once there is one: it goes into every node defined here,
    /// and the grain key is decoded into a new string each time it is asked for (a hundred thousand copies of the
    /// same few bytes after an import).
    /// </summary>
    private string CycleId
    {
        get
        {
            var key = _key ??= this.GetPrimaryKeyString();
            return _structure.Definition?.Id is { } id && id == key ? id : key;
        }
    }

    private CycleDefinition Definition => _structure.Definition ?? throw NoSuchCycle();

    private OkrRejectedException NoSuchCycle()
    {
        DeactivateOnIdle(); // an unknown cycle id should not keep an activation around
        return OkrRejectedException.NotFound("cycleId", CycleId);
    }

    private CycleWindow? _window;

    /// <summary>
    /// One instance for every node's setup while the cycle's dates and closing stay as they are: a setup reaches a node
    /// in this silo by reference, so a hundred thousand active nodes hold one window, not one each.
    /// </summary>
    private CycleWindow Window =>
        _window is { } w && w.Start == Definition.Start && w.End == Definition.End && w.Closed == _structure.Closed
            ? w : _window = new(Definition.Start, Definition.End, _structure.Closed);

    private CycleInfo Info => new(Definition, _structure.Closed, _structure.ClosedAt);

    async Task ICycleGrain.InitializeAsync(string companyId, CycleDefinition definition, ScoringPolicy policy)
    {
        using var _ = await EnterAsync();
        if (_structure.Definition is not null)
        {
            if (_structure.Definition == definition) return;
            throw OkrRejectedException.Conflict("id", $"cycle '{CycleId}' already exists.");
        }
        // A cycle exists from its start, or from now if it is created ahead of it: a quarter typed in late still has
        // its whole window to look back on. Audited by the organisation, which creates cycles (cycle.created).
        var at = Micros(Min(definition.Start, clock.GetUtcNow()));
        await CommitAsync([new CycleDefined(companyId, definition with { Id = CycleId }, policy)], null, [], at);
    }

    Task<CycleInfo> ICycleGrain.GetInfoAsync() => Task.FromResult(Info);

    // ---- Commit and notify -------------------------------------------------------------------------------

    /// <summary>Enters the command gate: validation and staging of one command at a time.</summary>
    private async Task<IDisposable> EnterAsync()
    {
        await _gate.WaitAsync();
        return new Release(_gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _done;
        public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release(); }
    }

    /// <summary>
    /// Stages a change — applies its ops to the live structure and queues its log row with its audit entry (one row:
    /// both or neither) — and returns once the row is durable. Call it holding the gate, with validation done; the
    /// gate is released before the wait, so the next command validates while this one's commit is in flight.
    /// </summary>
    /// <param name="effectiveAt">An earlier instant the change takes effect (the system's baseline changes only).</param>
    private Task CommitAsync(IEnumerable<StructureOp> ops, PendingEntry? entry, IReadOnlyList<(string, NodeKind)> touched, DateTimeOffset? effectiveAt = null)
    {
        var previousAt = _structure.At;
        // A change never takes effect before the one it follows; whole microseconds, as PostgreSQL keeps them, so an
        // instant compares the same in memory and in the log.
        var at = Micros(Max(effectiveAt ?? clock.GetUtcNow(), _structure.At));
        // Shared instances in the structure and the tail (a client's import brings a copy of every repeated value).
        var change = _structure.Canonical(new StructureChange(_structure.Seq + 1, at, [.. ops]));
        _structure.Apply(change); // an op that does not fit is a bug here: it throws before anything is queued
        AuditEntry? auditEntry = null;
        if (entry is { } e)
        {
            var who = e.Actor ?? Actor.System;
            auditEntry = new AuditEntry(AuditSource, change.Seq, clock.GetUtcNow(), who.Id, who.Name, who.Via, e.Action, e.Subject, CycleId,
                AuditJson.Of(e.Before), AuditJson.Of(e.After));
        }
        var staged = new Staged(change, previousAt, auditEntry, touched, new TaskCompletionSource());
        _staged.Add(staged);
        if (!_flushing)
        {
            _flushing = true;
            _ = FlushLoopAsync();
        }
        return staged.Done.Task;
    }

    /// <summary>
    /// Writes what is staged, a batch per commit, until nothing is left. One batch at a time keeps the log in order; a
    /// failed batch takes back itself and everything staged behind it.
    /// </summary>
    private async Task FlushLoopAsync()
    {
        try
        {
            // Let the commands already queued behind this one stage first: they join the first commit.
            await Task.Yield();
            while (_staged.Count > 0)
            {
                var batch = _staged.ToList();
                _staged.Clear();
                _writing = batch;
                try
                {
                    await store.AppendAsync(CycleId, [.. batch.Select(s => new LoggedChange(s.Change, s.Audit))]);
                }
                catch (Exception ex)
                {
                    // What failed may be only the reply: the rows can be there. The log is ours alone, so its last
                    // sequence says which; a batch that landed stands (taking it back would reuse its numbers).
                    if (await LandedAsync(batch) is not true)
                    {
                        await RollBackAsync(batch, ex);
                        continue;
                    }
                    logger.LogWarning(ex, "Cycle {CycleId}: the commit of {Count} structural change(s) reported an error but they are in the log; they stand.", CycleId, batch.Count);
                }
                _writing = [];
                _tail.AddRange(batch.Select(s => s.Change));
                _tailOps += batch.Sum(s => s.Change.Ops.Length);
                _pendingAudit.AddRange(batch.Select(s => s.Audit).OfType<AuditEntry>());
                // Dashboards hold the structure; tell them to re-read it. Versions grow across activations (clock ticks).
                _structureVersion = Versions.Next(_structureVersion, clock.GetUtcNow());
                feed.Publish(new NodeChange(CycleId, NodeKind.Cycle, CycleId, _structureVersion, null, null, clock.GetUtcNow()));
                // The callers hear once their entries are in the audit table too (or, if it does not take them now, wait
                // in their log rows to be handed again) — an acknowledged change is in the audit trail. That insert runs
                // beside the next batch's log write, not in front of it.
                _ = AnswerAfterAsync(batch, NextAuditFlush());
            }
        }
        finally
        {
            _flushing = false;
        }
    }

    private Task _auditChain = Task.CompletedTask;

    /// <summary>Hands what is pending to the audit table after the flush before it: one at a time, in order.</summary>
    private Task NextAuditFlush()
    {
        return _auditChain = ChainAsync(_auditChain);

        async Task ChainAsync(Task before)
        {
            await before; // never faults: a failed hand-over leaves the entries pending
            await FlushAuditAsync();
        }
    }

    private async Task AnswerAfterAsync(List<Staged> batch, Task audited)
    {
        await audited;
        foreach (var s in batch) s.Done.TrySetResult();
        MaybeSnapshot();
    }

    /// <summary>
    /// Whether a batch whose commit reported an error is in the log after all: true, false, or null when the database
    /// cannot say — then the batch is taken back here and the activation leaves once idle, so the next one reads the
    /// log as it is.
    /// </summary>
    private async Task<bool?> LandedAsync(List<Staged> batch)
    {
        try
        {
            return await store.LastSeqAsync(CycleId) >= batch[^1].Change.Seq;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Cycle {CycleId}: cannot tell whether structural changes {From}..{To} were saved; the cycle reloads when idle.",
                CycleId, batch[0].Change.Seq, batch[^1].Change.Seq);
            DeactivateOnIdle();
            return null;
        }
    }

    private async Task RollBackAsync(List<Staged> batch, Exception error)
    {
        // Commands validating now saw the failed changes: wait for the gate, so whatever they stage is taken back too.
        using (await EnterAsync())
        {
            var failed = batch.Concat(_staged).ToList();
            _staged.Clear();
            for (int i = failed.Count - 1; i >= 0; i--) _structure.Undo(failed[i].Change, failed[i].PreviousAt);
            _writing = [];
            logger.LogError(error, "Cycle {CycleId}: {Count} structural change(s) were not saved and are taken back.", CycleId, failed.Count);
            foreach (var f in failed) f.Done.TrySetException(error);
            // Nodes told of a change that was then taken back hear the structure as it is again.
            await NotifyAsync(failed.SelectMany(f => f.Touched));
        }
    }

    /// <summary>
    /// Writes a snapshot once the log after the last one is long enough: a quarter of the cycle's size (at least a
    /// thousand changes), so snapshots cost O(1) per change on average and an activation replays a bounded tail.
    /// Built from durable changes only (staged ones and the batch being written are taken back on a copy) and written
    /// in the background.
    /// </summary>
    private void MaybeSnapshot()
    {
        var threshold = Math.Max(options.Value.SnapshotEvery, _structure.NodeCount / 4);
        // Counted in changes or in ops, whichever comes first: an import of a whole organisation is one change of
        // millions of ops, which a snapshot should absorb at once (replay and the memory the tail holds go by ops).
        // Not while audit entries wait: an activation re-hands only the entries of rows after its snapshot.
        if (_snapshotting || _pendingAudit.Count > 0 || (_structure.Seq - _snapshotSeq < threshold && _tailOps < threshold)) return;
        _snapshotting = true;
        CycleStructureState state;
        if (_staged.Count == 0 && _writing.Count == 0) state = _structure.ToState();
        else
        {
            // Newest first: what is staged, then the batch being written.
            var copy = _structure.Clone();
            for (int i = _staged.Count - 1; i >= 0; i--) copy.Undo(_staged[i].Change, _staged[i].PreviousAt);
            for (int i = _writing.Count - 1; i >= 0; i--) copy.Undo(_writing[i].Change, _writing[i].PreviousAt);
            state = copy.ToState();
        }
        _ = WriteSnapshotAsync(state);
    }

    private async Task WriteSnapshotAsync(CycleStructureState state)
    {
        try
        {
            await Task.Run(() => store.WriteSnapshotAsync(CycleId, state));
            _snapshotSeq = state.Seq;
            _snapshotAt = state.At;
            _tail.RemoveAll(c => c.Seq <= state.Seq);
            _tailOps = _tail.Sum(c => (long)c.Ops.Length);
        }
        catch (Exception ex)
        {
            // The log has every change; a missing snapshot only makes the next activation replay more.
            logger.LogWarning(ex, "Cycle {CycleId}: snapshot at {Seq} not written.", CycleId, state.Seq);
        }
        finally
        {
            _snapshotting = false;
        }
    }

    /// <summary>What a change writes into the audit trail; made into an <see cref="AuditEntry"/> by the commit.</summary>
    private readonly record struct PendingEntry(Actor? Actor, string Action, string? Subject, object? Before, object? After);

    private static PendingEntry Audit(Actor? actor, string action, string? subject, object? before, object? after) =>
        new(actor, action, subject, before, after);

    private string AuditSource => $"cycle:{CycleId}";

    /// <summary>
    /// Hands the entries of committed changes to the audit table. If that fails the changes stand (their entries are in
    /// the log with them): the entries are handed again with the next commit or at the next activation.
    /// </summary>
    private Task FlushAuditAsync() => AuditOutbox.FlushAsync(_pendingAudit, audit, logger, AuditSource);

    /// <summary>Pushes the current setup to each node in order (a deleted node gets null).</summary>
    private async Task NotifyAsync(IEnumerable<(string Id, NodeKind Kind)> nodes)
    {
        foreach (var (id, kind) in nodes.Distinct())
        {
            try
            {
                if (kind == NodeKind.Objective)
                    await GrainFactory.GetGrain<IObjectiveGrain>(id).ApplySetupAsync(ObjectiveSetupOf(id));
                else
                    await GrainFactory.GetGrain<IKeyResultGrain>(id).ApplySetupAsync(KeyResultSetupOf(id));
            }
            catch (Exception ex)
            {
                // The change is committed; a node that missed it reads its setup again when it next activates.
                logger.LogWarning(ex, "Node {NodeId} did not take its new setup.", id);
            }
        }
    }

    /// <summary>Pushes the setup to every node of the cycle, a bounded number at a time.</summary>
    private async Task NotifyAllAsync()
    {
        var all = _structure.Objectives.Keys.Select(id => (id, NodeKind.Objective))
            .Concat(_structure.KeyResults.Keys.Select(id => (id, NodeKind.KeyResult))).ToList();
        foreach (var chunk in all.Chunk(256))
            await Task.WhenAll(chunk.Select(n => NotifyAsync([n])));
    }

    private static IEnumerable<(string, NodeKind)> Objectives(IEnumerable<string> ids) => ids.Select(id => (id, NodeKind.Objective));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    private static DateTimeOffset Micros(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);

    // ---- Setups ------------------------------------------------------------------------------------------

    Task<ObjectiveSetup?> ICycleGrain.GetObjectiveSetupAsync(string objectiveId) => Task.FromResult(ObjectiveSetupOf(objectiveId));

    Task<KeyResultSetup?> ICycleGrain.GetKeyResultSetupAsync(string keyResultId) => Task.FromResult(KeyResultSetupOf(keyResultId));

    private ObjectiveSetup? ObjectiveSetupOf(string id)
    {
        if (_structure.Definition is null || !_structure.Objectives.TryGetValue(id, out var def)) return null;
        var parents = _structure.ParentsOf(id).Select(e => e.ParentId).ToImmutableArray();
        var children = _structure.ChildrenOf(id).Select(e => _structure.Objectives.TryGetValue(e.ChildId, out var o)
            ? new ChildLink(e.ChildId, NodeKind.Objective, e.Weight, o.Title)
            : new ChildLink(e.ChildId, NodeKind.KeyResult, e.Weight, _structure.KeyResults[e.ChildId].Title)).ToImmutableArray();
        return new ObjectiveSetup(def, Window, _structure.Policy, parents, children, _structure.Frozen.GetValueOrDefault(id));
    }

    private KeyResultSetup? KeyResultSetupOf(string id)
    {
        if (_structure.Definition is null || !_structure.KeyResults.TryGetValue(id, out var def)) return null;
        var edge = _structure.ParentsOf(id) is [var first, ..] ? first : null;
        return new KeyResultSetup(def, Window, _structure.Policy, edge?.ParentId, edge?.Weight ?? 0, _structure.Frozen.GetValueOrDefault(id), _structure.CompanyId);
    }

    // ---- Snapshot ----------------------------------------------------------------------------------------

    Task<long> ICycleGrain.GetStructureVersionAsync() => Task.FromResult(_structureVersion);

    async Task<CycleSnapshot> ICycleGrain.GetSnapshotAsync()
    {
        // Everything from the structure is taken before the first await, so it is one consistent structure.
        var info = Info;
        var objectives = _structure.Objectives.Values.ToImmutableArray();
        var keyResults = _structure.KeyResults.Values.ToImmutableArray();
        var edges = _structure.Edges.ToImmutableArray();
        var policy = _structure.Policy;
        var frozen = _structure.Closed ? _structure.Frozen : null;
        var version = _structureVersion;
        // The instant the snapshot is of is taken before the facts are read: a check-in committed during the read is
        // then newer than the snapshot, never older (readers that date scores computed from facts rely on it: by
        // FactsVersion, the version clock read at the same point).
        var takenAt = clock.GetUtcNow();
        var factsVersion = _structure.Closed ? 0 : Versions.Now();
        // Nodes active in this silo give their latest published score (the local table). The others are not woken
        // up: their scores are computed here with the same rules from what they are computed from anyway — the
        // journal's latest entries, or the frozen grades of a closed cycle — so a snapshot of a cold cycle costs one
        // query, not an activation per node.
        var scores = new Dictionary<string, NodeScore>(objectives.Length + keyResults.Length);
        var inactive = new List<KeyResultDefinition>();
        var objectivesMissing = false;
        foreach (var o in objectives)
            if (localScores.TryGet(o.Id, out var s)) scores[o.Id] = s; else objectivesMissing = true;
        foreach (var k in keyResults)
            if (localScores.TryGet(k.Id, out var s)) scores[k.Id] = s; else inactive.Add(k);
        if (inactive.Count > 0 || objectivesMissing)
            scores = await ScoreInactiveAsync(objectives, edges, inactive, scores, info, policy, frozen, null);
        return new CycleSnapshot(info, policy, objectives, keyResults, edges, scores, takenAt, version, factsVersion);
    }

    async Task<ImmutableArray<NodeScore>> ICycleGrain.GetChildScoresAsync(string objectiveId, ImmutableArray<string> childIds)
    {
        if (_structure.Definition is null || !_structure.Objectives.ContainsKey(objectiveId)) return [];
        var result = ImmutableArray.CreateBuilder<NodeScore>(childIds.Length);
        var missing = new List<string>();
        foreach (var id in childIds)
        {
            if (localScores.TryGet(id, out var live)) result.Add(live);
            else if (_structure.Exists(id)) missing.Add(id);
        }
        if (missing.Count == 0) return result.ToImmutable();

        // The subtrees below the missing children, taken before the first await (one consistent structure).
        var objectives = ImmutableArray.CreateBuilder<ObjectiveDefinition>();
        var edges = ImmutableArray.CreateBuilder<Edge>();
        var inactive = new List<KeyResultDefinition>();
        var seeds = new Dictionary<string, NodeScore>();
        var seen = new HashSet<string>();
        var stack = new Stack<string>(missing);
        while (stack.TryPop(out var id))
        {
            if (!seen.Add(id)) continue;
            if (localScores.TryGet(id, out var live)) { seeds[id] = live; continue; }
            if (_structure.Objectives.TryGetValue(id, out var o))
            {
                objectives.Add(o);
                foreach (var e in _structure.ChildrenOf(id)) { edges.Add(e); stack.Push(e.ChildId); }
            }
            else if (_structure.KeyResults.TryGetValue(id, out var k)) inactive.Add(k);
        }
        var scores = await ScoreInactiveAsync(objectives.ToImmutable(), edges.ToImmutable(), inactive, seeds, Info, _structure.Policy,
            _structure.Closed ? _structure.Frozen : null, null);
        foreach (var id in missing) if (scores.TryGetValue(id, out var s)) result.Add(s);
        return result.ToImmutable();
    }

    /// <summary>
    /// Scores nodes from their facts with the engine's rules: key results from their latest facts (those dated at or
    /// before <paramref name="asOf"/>, when given: from memory for those active here, else from the journal), objectives
    /// rolled up from their children, in place in <paramref name="live"/>; a closed
    /// cycle's nodes keep their frozen grades. Nodes given in <paramref name="live"/> keep their score.
    /// </summary>
    private async Task<Dictionary<string, NodeScore>> ScoreInactiveAsync(ImmutableArray<ObjectiveDefinition> objectives,
        ImmutableArray<Edge> edges, List<KeyResultDefinition> inactive, Dictionary<string, NodeScore> live, CycleInfo info,
        ScoringPolicy policy, IReadOnlyDictionary<string, NodeScore>? frozen, DateTimeOffset? asOf)
    {
        if (info.Closed && frozen is not null)
        {
            foreach (var (id, f) in frozen) live.TryAdd(id, f);
            return live;
        }
        var elapsed = Rules.ExpectedProgress(info.Definition.Start, info.Definition.End, asOf ?? clock.GetUtcNow());
        // As of an instant, a key result active in this silo has its durable check-ins in memory, and a KPI its
        // measurements (by the same rule as the journal's query, whose latest-arrival tie-break is their commit order);
        // the journal is asked for the rest.
        var fromJournal = new List<KeyResultDefinition>();
        var sources = new HashSet<string>();
        foreach (var kr in inactive)
        {
            var factsOf = kr.Kind == KeyResultKind.KpiLinked ? kr.KpiId! : kr.Id;
            if (asOf is not null && localScores.TryGetCheckIns(factsOf, out var facts))
            {
                KeyResultInput input;
                if (kr.Kind == KeyResultKind.KpiLinked)
                {
                    var (hasValue, value, _) = facts.LatestAsOf(asOf);
                    input = KeyResultInput.FromKpi(kr, hasValue ? value : null, null);
                }
                else input = facts.InputOf(kr, asOf);
                live[kr.Id] = Rules.ScoreKeyResult(kr, input.Current, input.HasValue, input.Confidence, elapsed, policy);
            }
            else
            {
                fromJournal.Add(kr);
                sources.Add(factsOf);
            }
        }
        // Most of the cycle from the journal (a cold cycle): it may read the cycle's entries in one scan.
        var latest = await journal.LatestAsync(sources, asOf, fromJournal.Count * 2 >= _structure.KeyResults.Count ? CycleId : null);
        foreach (var kr in fromJournal)
        {
            var input = kr.Kind == KeyResultKind.KpiLinked ? KeyResultInput.FromKpi(kr, latest.GetValueOrDefault(kr.KpiId!)?.Value, null)
                : latest.TryGetValue(kr.Id, out var e) ? new KeyResultInput(e.Value, true, e.Confidence) : KeyResultInput.Initial(kr);
            live[kr.Id] = Rules.ScoreKeyResult(kr, input.Current, input.HasValue, input.Confidence, elapsed, policy);
        }
        // Objectives seeded with a live score keep it; the others roll up from their children.
        GraphScorer.RollUp(objectives, edges, live, elapsed, policy);
        return live;
    }
}
