using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Engine.Feed;

namespace OkrGrid.Engine;

/// <summary>
/// An objective: caches its children's latest scores and rolls them up. Children push their scores (one-way);
/// the objective pulls them only when it activates or gains a child — never while a child may be calling it.
/// Its definition and links come from its cycle, the single owner of the structure.
/// </summary>
public sealed class ObjectiveGrain(IOptions<EngineOptions> options, [FromKeyedServices(EngineClock.Key)] TimeProvider clock, ChangeFeedPublisher feed, LocalScores localScores)
    : NodeGrainBase(options, clock, feed, localScores), IObjectiveGrain
{
    private ObjectiveSetup? _setup;

    /// <summary>
    /// The current children, each with its latest score (null until one is known): one table for both, where a set of
    /// the children's ids beside a table of their scores held every id twice (~230 bytes of each active objective).
    /// </summary>
    private Dictionary<string, NodeScore?> _children = [];

    protected override string? CycleId => _setup?.Definition.CycleId;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ServiceProvider.GetRequiredService<ActiveObjectives>().Add(Id);
        if (NodeIds.CycleOf(Id) is { } cycleId)
        {
            _setup = await GrainFactory.GetGrain<ICycleGrain>(cycleId).GetObjectiveSetupAsync(Id);
            if (_setup is not null)
            {
                ParentIds = _setup.Parents;
                _children = ChildrenOf(_setup, []);
                await PullAsync(_setup.Children);
            }
        }
        Initialize();
    }

    Task<NodeScore> IScoredNode.GetScoreAsync() => Task.FromResult(CurrentScore("objectiveId"));

    Task<ObjectiveView> IObjectiveGrain.GetViewAsync()
    {
        var setup = _setup ?? throw NotFound("objectiveId");
        var children = setup.Children.Select(c => new ChildSummary(c, _children.GetValueOrDefault(c.Id))).ToImmutableArray();
        var elapsed = Rules.ExpectedProgress(setup.Window.Start, setup.Window.End, Clock.GetUtcNow());
        return Task.FromResult(new ObjectiveView(setup.Definition, CurrentScore("objectiveId"), setup.Parents, children, elapsed));
    }

    Task IObjectiveGrain.OnChildChangedAsync(NodeScore childScore)
    {
        // Ignore news from a node that is no longer (or not yet) a child, and stale news that arrived late.
        if (!_children.TryGetValue(childScore.NodeId, out var known)) return Task.CompletedTask;
        var stale = known is not null && known.Version >= childScore.Version;
        if (stale && childScore.Traces is null) return Task.CompletedTask;
        // A stale score is dropped, but its traces still go up: the newer score it lost to reflects them too.
        AddTraces(childScore.Traces);
        // The child's own published score when it carries no traces (the usual case): a copy of it for every edge
        // was a hundred bytes of every active node.
        if (!stale) _children[childScore.NodeId] = childScore.Traces is null ? childScore : childScore with { Traces = null };
        Touch();
        return Task.CompletedTask;
    }

    async Task IObjectiveGrain.ApplySetupAsync(ObjectiveSetup? setup)
    {
        var oldParents = ParentIds;
        _setup = setup;
        if (setup is null)
        {
            _children = [];
            ParentIds = [];
            DeactivateOnIdle();
            return;
        }
        ParentIds = setup.Parents;
        _children = ChildrenOf(setup, _children);
        await PullAsync(setup.Children.Where(c => _children[c.Id] is null));
        Flush();
        // A new parent pulled this node's score when it gained it; send again in case it changed since.
        SendToParents(setup.Parents.Except(oldParents));
    }

    async Task IObjectiveGrain.RefreshChildrenAsync()
    {
        if (_setup is null || _children.Count == 0) return;
        // What the cycle says now is what the children's facts give (or their live scores where it sees them): a child
        // that lived on the dead silo may have published its last change into a queue that died with it. The score
        // taken keeps the version this objective held, so the child's next publication still replaces it — unless the
        // child published meanwhile (the version moved while asking): then that newer score stands.
        var before = _children.ToDictionary(c => c.Key, c => c.Value?.Version);
        var cycle = GrainFactory.GetGrain<ICycleGrain>(_setup.Definition.CycleId);
        var changed = false;
        foreach (var score in await Transient.RetryAsync(() => cycle.GetChildScoresAsync(Id, [.. _children.Keys])))
        {
            if (!_children.TryGetValue(score.NodeId, out var known) || !before.TryGetValue(score.NodeId, out var version)
                || known?.Version != version || (known is not null && known.SameAs(score))) continue;
            _children[score.NodeId] = score with { Version = known?.Version ?? 0, Traces = null };
            changed = true;
        }
        if (changed) Touch();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        ServiceProvider.GetRequiredService<ActiveObjectives>().Remove(Id);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>
    /// Takes the scores of children this objective has no score for from its cycle, which scores inactive children
    /// from their facts without waking them (so an objective's activation does not activate its whole subtree).
    /// Safe to await: the cycle's read interleaves, and children never wait on their parents (they push one-way).
    /// A score taken this way has version 0: anything the child publishes later replaces it.
    /// </summary>
    private async Task PullAsync(IEnumerable<ChildLink> children)
    {
        var ids = children.Select(c => c.Id).ToImmutableArray();
        if (ids.IsEmpty || _setup is null) return;
        var cycle = GrainFactory.GetGrain<ICycleGrain>(_setup.Definition.CycleId);
        foreach (var score in await Transient.RetryAsync(() => cycle.GetChildScoresAsync(Id, ids)))
        {
            if (_children.TryGetValue(score.NodeId, out var known) && (known is null || known.Version < score.Version))
                _children[score.NodeId] = score;
        }
    }

    /// <summary>The children of <paramref name="setup"/>, with the scores already known of those that stay.</summary>
    private static Dictionary<string, NodeScore?> ChildrenOf(ObjectiveSetup setup, Dictionary<string, NodeScore?> known)
    {
        var children = new Dictionary<string, NodeScore?>(setup.Children.Length);
        foreach (var c in setup.Children) children.TryAdd(c.Id, known.GetValueOrDefault(c.Id));
        return children;
    }

    /// <summary>A rolled-up status moves with the pace; no status (no data) and a frozen grade do not.</summary>
    protected override bool MovesWithTime(NodeScore score) => _setup is { Frozen: null } && !score.NoData;

    protected override NodeScore? Compute()
    {
        if (_setup is not { } setup) return null;
        if (setup.Frozen is { } frozen) return frozen;
        // A plain loop: this runs for every forwarded change of every objective.
        var contributions = new List<Contribution>(setup.Children.Length);
        foreach (var c in setup.Children)
            if (_children.TryGetValue(c.Id, out var s) && s is not null) contributions.Add(new Contribution(c.Kind, c.Weight, s.Progress, s.Confidence));
        var elapsed = Rules.ExpectedProgress(setup.Window.Start, setup.Window.End, Clock.GetUtcNow());
        return Rules.ScoreObjective(setup.Definition, contributions, elapsed, setup.Policy);
    }
}
