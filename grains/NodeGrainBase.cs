using OkrGrid.Engine.Feed;

namespace OkrGrid.Engine;

/// <summary>
/// What objectives and key results share: a current score with a version, and forwarding of changes to the
/// parents and the change feed, coalesced per tick.
/// </summary>
public abstract class NodeGrainBase : Grain
{
    private readonly ChangeFeedPublisher _feed;
    private UpdateCoalescer? _coalescer;
    private List<string>? _pendingTraces;
    private IGrainTimer? _statusRefresh;

    private readonly LocalScores _localScores;

    /// <summary>This silo's table of what its active nodes publish.</summary>
    protected LocalScores LocalScores => _localScores;

    protected NodeGrainBase(IOptions<EngineOptions> options, TimeProvider clock, ChangeFeedPublisher feed, LocalScores localScores)
    {
        Options = options.Value;
        Clock = clock;
        _feed = feed;
        _localScores = localScores;
    }

    protected EngineOptions Options { get; }
    protected TimeProvider Clock { get; }
    protected string Id => this.GetPrimaryKeyString();

    /// <summary>The last published score; null while the node does not exist.</summary>
    protected NodeScore? Published { get; private set; }

    /// <summary>The objectives this node rolls up into.</summary>
    protected ImmutableArray<string> ParentIds { get; set; } = [];

    protected abstract string? CycleId { get; }

    /// <summary>Computes the node's score from its current inputs (version aside).</summary>
    protected abstract NodeScore? Compute();

    /// <summary>
    /// Whether <paramref name="score"/>, as <see cref="Compute"/> gives it now, can come out different later with no
    /// new input: its status is measured against the cycle's expected pace, which moves with the clock. Not for a
    /// node without data (no status), a frozen grade, or a key result held to a fixed level.
    /// </summary>
    protected abstract bool MovesWithTime(NodeScore score);

    /// <summary>
    /// Sets the first score on activation and tells the parents. A parent may hold a score for this node that its
    /// cycle computed while the node was asleep; if the node woke up because a child pushed news, the score it
    /// starts with already includes that news, which it would otherwise never forward.
    /// </summary>
    protected void Initialize()
    {
        Published = Compute() is { } s ? s with { Version = Versions.Next(0) } : null;
        if (Published is null) return;
        _localScores.Set(Published);
        UpdateStatusRefresh(Published);
        Send(Published, ParentIds);
    }

    /// <summary>
    /// Keeps the status-refresh timer while the score moves with time, and only then: a refresh of any other score
    /// computes the same score and publishes nothing. A grain timer and the bookkeeping Orleans keeps for it cost an
    /// activation about 800 bytes — a fifth of an active node — and most nodes early in a cycle have no data yet.
    /// </summary>
    private void UpdateStatusRefresh(NodeScore? score)
    {
        if (score is not null && MovesWithTime(score))
            _statusRefresh ??= this.RegisterGrainTimer(RefreshStatus, new GrainTimerCreationOptions(Options.StatusRefresh, Options.StatusRefresh));
        else if (_statusRefresh is not null)
        {
            _statusRefresh.Dispose();
            _statusRefresh = null;
        }
    }

    /// <summary>The node's inputs changed: forward now, or at the end of this tick under a burst.</summary>
    protected void Touch()
    {
        _coalescer ??= new UpdateCoalescer(this, Options.CoalesceTick, Flush);
        _coalescer.Touch();
    }

    /// <summary>Recomputes and, if anything a reader sees changed, publishes a new version to parents and feed.</summary>
    protected void Flush()
    {
        var next = Compute();
        // Before the early returns: a new setup (another kind, a closing) can change whether the score moves with
        // time without changing the score.
        UpdateStatusRefresh(next);
        if (next is null) return;
        var traces = _pendingTraces is { Count: > 0 } t ? t.ToArray() : null;
        // Unchanged: nothing to publish — unless a traced change must still be carried up.
        if (Published is { } prev && prev.SameAs(next) && traces is null) return;
        _pendingTraces?.Clear();
        Published = next with { Version = Versions.Next(Published?.Version ?? 0), Traces = traces };
        _localScores.Set(Published);
        _feed.Publish(new NodeChange(Id, Published.Kind, CycleId, Published.Version, Published, null, Clock.GetUtcNow()));
        Send(Published, ParentIds);
    }

    /// <summary>Remembers traced check-ins to carry up with the next publication.</summary>
    protected void AddTraces(IEnumerable<string>? traces)
    {
        if (traces is null) return;
        (_pendingTraces ??= []).AddRange(traces);
    }

    /// <summary>Sends the current score to the given parents (one-way: a child never waits for a parent).</summary>
    protected void SendToParents(IEnumerable<string> parentIds)
    {
        // Traces travel once, with the publication that first reflects them; a resend does not repeat them.
        if (Published is { } score) Send(score.Traces is null ? score : score with { Traces = null }, parentIds);
    }

    private void Send(NodeScore score, IEnumerable<string> parentIds)
    {
        foreach (var parentId in parentIds)
            _ = GrainFactory.GetGrain<IObjectiveGrain>(parentId).OnChildChangedAsync(score);
    }

    private Task RefreshStatus()
    {
        // Expected progress moves with time, so a status can change with no new input. Through the coalescer: under a
        // burst the refresh joins the tick's publication instead of adding one of its own (seen as two root
        // publications 1 ms apart when the refresh fell inside a burst).
        Touch();
        return Task.CompletedTask;
    }

    protected NodeScore CurrentScore(string field) => Published ?? throw NotFound(field);

    /// <summary>
    /// "Not found" for a node that does not exist (any more). The activation leaves once this request is answered,
    /// so looking up made-up ids does not fill the silo.
    /// </summary>
    protected OkrRejectedException NotFound(string field)
    {
        DeactivateOnIdle();
        return OkrRejectedException.NotFound(field, Id);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A change waiting for its tick goes out now rather than being lost with the activation.
        if (_coalescer?.Pending == true) Flush();
        _localScores.Remove(Id);
        _coalescer?.Dispose();
        _statusRefresh?.Dispose();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }
}
