using OkrGrid.Access;
using OkrGrid.Grains.Feed;

using OkrGrid.Grains.Journal;

namespace OkrGrid.Grains;

/// <summary>
/// Owns one cycle's structure. Structural commands run one at a time: each is validated against the whole graph,
/// written as one state write (all or nothing), and only then pushed to the affected node grains — new parents
/// first, so a parent knows a child before the child starts reporting to it, then the node, then old parents.
/// Node grains read their setup from here when they activate (an interleaving read), and never call in otherwise.
/// </summary>
public sealed partial class CycleGrain(
    [PersistentState("cycle", StorageNames.Okr)] IPersistentState<CycleRecord> state,
    IEngineClock clock, LocalScores localScores, IJournal journal, IAuditLog audit, ChangeFeedPublisher feed, ILogger<CycleGrain> logger)
    : Grain, ICycleGrain
{
    private CycleRecord R => state.State;
    private Dictionary<string, List<Edge>> _childrenOf = [];
    private Dictionary<string, List<Edge>> _parentsOf = [];
    private long _structureVersion;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A version of its own per activation, so one read before a deactivation never equals one read after: the
        // machine's time (the engine clock may stand still in tests), later than any version of an earlier activation.
        _structureVersion = Math.Max(Versions.Of(clock.UtcNow), Versions.Of(DateTimeOffset.UtcNow));
        RebuildIndex();
        // Entries of changes committed just before a crash reach the audit table now.
        await FlushAuditAsync();
    }

    private void RebuildIndex()
    {
        _childrenOf = R.Edges.GroupBy(e => e.ParentId).ToDictionary(g => g.Key, g => g.ToList());
        _parentsOf = R.Edges.GroupBy(e => e.ChildId).ToDictionary(g => g.Key, g => g.ToList());
    }

    private string CycleId => this.GetPrimaryKeyString();

    private CycleDefinition Definition => R.Definition ?? throw NoSuchCycle();

    private OkrRejectedException NoSuchCycle()
    {
        DeactivateOnIdle(); // an unknown cycle id should not keep an activation around
        return OkrRejectedException.NotFound("cycleId", CycleId);
    }

    private CycleWindow Window => new(Definition.Start, Definition.End, R.Closed);

    private CycleInfo Info => new(Definition, R.Closed, R.ClosedAt);

    async Task ICycleGrain.InitializeAsync(string companyId, CycleDefinition definition, ScoringPolicy policy)
    {
        if (R.Definition is not null)
        {
            if (R.Definition == definition) return;
            throw OkrRejectedException.Conflict("id", $"cycle '{CycleId}' already exists.");
        }
        // Audited by the organisation, which creates cycles (cycle.created).
        await CommitAsync(r => { r.CompanyId = companyId; r.Definition = definition with { Id = CycleId }; r.Policy = policy; }, null);
    }

    Task<CycleInfo> ICycleGrain.GetInfoAsync() => Task.FromResult(Info);

    // ---- Commit and notify -------------------------------------------------------------------------------

    /// <summary>
    /// Applies a change to the state and writes it together with its audit entry (one write: both or neither); if the
    /// write fails, the state is as before. The entry then goes to the audit table.
    /// </summary>
    private async Task CommitAsync(Action<CycleRecord> change, PendingEntry? entry)
    {
        var before = R.Clone();
        change(R);
        if (entry is { } e)
        {
            var seq = R.AuditSeq;
            AuditOutbox.Add(R.PendingAudit, ref seq, AuditSource, clock.UtcNow, e.Actor, e.Action, e.Subject, CycleId, e.Before, e.After);
            R.AuditSeq = seq;
        }
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            R.CopyFrom(before);
            throw;
        }
        finally
        {
            RebuildIndex();
        }
        // Dashboards hold the structure; tell them to re-read it. Versions grow across activations (clock ticks).
        _structureVersion = Versions.Next(_structureVersion, clock.UtcNow);
        feed.Publish(new NodeChange(CycleId, NodeKind.Cycle, CycleId, _structureVersion, null, null, clock.UtcNow));
        await FlushAuditAsync();
    }

    /// <summary>What a change writes into the audit trail; made into an <see cref="AuditEntry"/> by the commit.</summary>
    private readonly record struct PendingEntry(Actor? Actor, string Action, string? Subject, object? Before, object? After);

    private static PendingEntry Audit(Actor? actor, string action, string? subject, object? before, object? after) =>
        new(actor, action, subject, before, after);

    private string AuditSource => $"cycle:{CycleId}";

    /// <summary>
    /// Hands the entries the state holds to the audit table. If that fails the change stands (it is committed, and so
    /// is its entry, in the state): the entry is handed again with the next change or at the next activation.
    /// </summary>
    private Task FlushAuditAsync() => AuditOutbox.FlushAsync(R.PendingAudit, audit, logger, AuditSource);

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
        var all = R.Objectives.Keys.Select(id => (id, NodeKind.Objective))
            .Concat(R.KeyResults.Keys.Select(id => (id, NodeKind.KeyResult))).ToList();
        foreach (var chunk in all.Chunk(256))
            await Task.WhenAll(chunk.Select(n => NotifyAsync([n])));
    }

    private static IEnumerable<(string, NodeKind)> Objectives(IEnumerable<string> ids) => ids.Select(id => (id, NodeKind.Objective));

    // ---- Setups ------------------------------------------------------------------------------------------

    Task<ObjectiveSetup?> ICycleGrain.GetObjectiveSetupAsync(string objectiveId) => Task.FromResult(ObjectiveSetupOf(objectiveId));

    Task<KeyResultSetup?> ICycleGrain.GetKeyResultSetupAsync(string keyResultId) => Task.FromResult(KeyResultSetupOf(keyResultId));

    private ObjectiveSetup? ObjectiveSetupOf(string id)
    {
        if (R.Definition is null || !R.Objectives.TryGetValue(id, out var def)) return null;
        var parents = ParentsOf(id).Select(e => e.ParentId).ToImmutableArray();
        var children = ChildrenOf(id).Select(e => R.Objectives.TryGetValue(e.ChildId, out var o)
            ? new ChildLink(e.ChildId, NodeKind.Objective, e.Weight, o.Title)
            : new ChildLink(e.ChildId, NodeKind.KeyResult, e.Weight, R.KeyResults[e.ChildId].Title)).ToImmutableArray();
        return new ObjectiveSetup(def, Window, R.Policy, parents, children, R.Frozen.GetValueOrDefault(id));
    }

    private KeyResultSetup? KeyResultSetupOf(string id)
    {
        if (R.Definition is null || !R.KeyResults.TryGetValue(id, out var def)) return null;
        var edge = ParentsOf(id).FirstOrDefault();
        return new KeyResultSetup(def, Window, R.Policy, edge?.ParentId, edge?.Weight ?? 0, R.Frozen.GetValueOrDefault(id), R.CompanyId);
    }

    private List<Edge> ChildrenOf(string id) => _childrenOf.GetValueOrDefault(id) ?? [];
    private List<Edge> ParentsOf(string id) => _parentsOf.GetValueOrDefault(id) ?? [];

    // ---- Snapshot ----------------------------------------------------------------------------------------

    Task<long> ICycleGrain.GetStructureVersionAsync() => Task.FromResult(_structureVersion);

    async Task<CycleSnapshot> ICycleGrain.GetSnapshotAsync()
    {
        // Everything from the state is taken before the first await, so it is one consistent structure.
        var info = Info;
        var objectives = R.Objectives.Values.ToImmutableArray();
        var keyResults = R.KeyResults.Values.ToImmutableArray();
        var edges = R.Edges.ToImmutableArray();
        var policy = R.Policy;
        var version = _structureVersion;
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
            scores = await ScoreInactiveAsync(objectives, edges, inactive, scores, info, policy);
        return new CycleSnapshot(info, policy, objectives, keyResults, edges, scores, clock.UtcNow, version);
    }

    async Task<ImmutableArray<NodeScore>> ICycleGrain.GetChildScoresAsync(string objectiveId, ImmutableArray<string> childIds)
    {
        if (R.Definition is null || !R.Objectives.ContainsKey(objectiveId)) return [];
        var result = ImmutableArray.CreateBuilder<NodeScore>(childIds.Length);
        var missing = new List<string>();
        foreach (var id in childIds)
        {
            if (localScores.TryGet(id, out var live)) result.Add(live);
            else if (Exists(id)) missing.Add(id);
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
            if (R.Objectives.TryGetValue(id, out var o))
            {
                objectives.Add(o);
                foreach (var e in ChildrenOf(id)) { edges.Add(e); stack.Push(e.ChildId); }
            }
            else if (R.KeyResults.TryGetValue(id, out var k)) inactive.Add(k);
        }
        var scores = await ScoreInactiveAsync(objectives.ToImmutable(), edges.ToImmutable(), inactive, seeds, Info, R.Policy);
        foreach (var id in missing) if (scores.TryGetValue(id, out var s)) result.Add(s);
        return result.ToImmutable();
    }

    private async Task<Dictionary<string, NodeScore>> ScoreInactiveAsync(ImmutableArray<ObjectiveDefinition> objectives,
        ImmutableArray<Edge> edges, List<KeyResultDefinition> inactive, Dictionary<string, NodeScore> live, CycleInfo info, ScoringPolicy policy)
    {
        if (info.Closed)
        {
            foreach (var (id, frozen) in R.Frozen) live.TryAdd(id, frozen);
            return live;
        }
        var sources = inactive.Select(k => k.KpiId ?? k.Id).Distinct().ToList();
        var latest = await journal.LatestAsync(sources);
        var elapsed = Rules.ExpectedProgress(info.Definition.Start, info.Definition.End, clock.UtcNow);
        foreach (var kr in inactive)
        {
            var input = kr.Kind == KeyResultKind.KpiLinked
                ? KeyResultInput.FromKpi(kr, latest.GetValueOrDefault(kr.KpiId!)?.Value, null)
                : latest.TryGetValue(kr.Id, out var e) ? new KeyResultInput(e.Value, true, e.Confidence) : KeyResultInput.Initial(kr);
            live[kr.Id] = Rules.ScoreKeyResult(kr, input.Current, input.HasValue, input.Confidence, elapsed, policy);
        }
        // Objectives seeded with a live score keep it; the others roll up from their children.
        return GraphScorer.ScoreObjectives(objectives, edges, live, elapsed, policy);
    }
}
