using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Access;
using OkrGrid.Domain.Planning;
using OkrGrid.Engine.Feed;
using OkrGrid.Planning;

namespace OkrGrid.Engine;

[GenerateSerializer, Alias("okr.state.scenario-record")]
public sealed class ScenarioRecord
{
    [Id(0)] public ScenarioView? View { get; set; }
}

/// <summary>
/// A planner scenario. Its definition and moves are durable; what it simulates on (<see cref="PlanBasis"/>: a snapshot,
/// its graph and alignment) and the last result are kept in memory only (a new activation takes a fresh snapshot).
/// Nothing here changes the live graph until <see cref="IScenarioGrain.ApplyAsync"/>, which hands all moves to the
/// cycle at once.
/// </summary>
public sealed class ScenarioGrain(
    [PersistentState("scenario", StorageNames.Okr)] IPersistentState<ScenarioRecord> state,
    [FromKeyedServices(EngineClock.Key)] TimeProvider clock,
    ChangeFeedPublisher feed)
    : Grain, IScenarioGrain
{
    public const int MaxMoves = 200;
    private PlanBasis? _basis;
    private ScenarioImpact? _last;

    private ScenarioView View => state.State.View ?? throw OkrRejectedException.NotFound("scenarioId", this.GetPrimaryKeyString());

    async Task<ScenarioView> IScenarioGrain.CreateAsync(ScenarioDraft draft, Actor? actor)
    {
        if (actor is not null && !Permissions.MayPlan(actor))
            throw AccessChecks.Refusal(actor, "scenarioId", "may not plan: scenarios are for team leads and admins");
        if (state.State.View is { } existing)
            throw OkrRejectedException.Conflict("id", $"scenario '{existing.Id}' already exists.");
        var name = Check.Title("name", draft.Name, Check.MaxName);
        var author = Check.Text("author", actor?.Name ?? draft.Author ?? "", Check.MaxName);
        var cycle = await GrainFactory.GetGrain<ICycleGrain>(draft.CycleId ?? throw OkrRejectedException.Invalid("cycleId", "is required.")).GetInfoAsync();
        if (cycle.Closed) throw OkrRejectedException.Conflict("cycleId", $"cycle '{cycle.Id}' is closed; reopen it to plan changes.");
        var view = new ScenarioView(this.GetPrimaryKeyString(), name, draft.CompanyId, cycle.Id, author, clock.GetUtcNow(), ScenarioState.Open, [], null,
            AuthorId: actor?.Id ?? "");
        return await SaveAsync(view);
    }

    Task<ScenarioView> IScenarioGrain.GetAsync() => Task.FromResult(View);

    Task<ScenarioView> IScenarioGrain.RenameAsync(string name, Actor? actor) =>
        SaveAsync(EnsureEditable(actor) with { Name = Check.Title("name", name, Check.MaxName) });

    Task<ScenarioView> IScenarioGrain.AddMoveAsync(PlanMove move, Actor? actor)
    {
        var view = EnsureEditable(actor);
        if (view.Moves.Length >= MaxMoves) throw OkrRejectedException.Invalid("moves", $"a scenario holds at most {MaxMoves} moves.");
        CheckShape(move);
        return SaveAsync(view with { Moves = view.Moves.Add(move) });
    }

    Task<ScenarioView> IScenarioGrain.RemoveMoveAsync(int index, Actor? actor)
    {
        var view = EnsureEditable(actor);
        if (index < 0 || index >= view.Moves.Length)
            throw OkrRejectedException.NotFound("index", $"move {index} (the scenario has {view.Moves.Length})");
        return SaveAsync(view with { Moves = view.Moves.RemoveAt(index) });
    }

    async Task<ScenarioImpact> IScenarioGrain.GetImpactAsync(bool resimulate)
    {
        var view = View;
        if (view.State != ScenarioState.Open)
            throw OkrRejectedException.Conflict("state", view.State == ScenarioState.Applied
                ? $"scenario '{view.Id}' was applied; its 'applied' field holds the simulation it was applied with."
                : $"scenario '{view.Id}' was discarded; start a new one to simulate these moves again.");
        var fresh = _basis is null || resimulate;
        if (fresh)
        {
            _basis = await NewBasisAsync(view);
            _last = null;
        }
        var basis = _basis!;
        // The moves array is replaced on every change, so the same array means the same moves.
        if (_last is not { } last || last.Scenario.Moves != view.Moves)
        {
            var (run, before, after) = basis.Impact(view.Moves);
            _last = last = new ScenarioImpact(view, run.Result, before, after, false);
        }
        var changed = !fresh && await LiveChangedAsync(basis, last.Simulation, view.Moves);
        return last with { Scenario = view, LiveChanged = changed };
    }

    async Task<Sensitivity> IScenarioGrain.GetSensitivityAsync(string objectiveId)
    {
        var view = View;
        _basis ??= await NewBasisAsync(view);
        // Refused moves are left out, as in the impact. Simulating again costs the moves' chains, not the graph.
        return _basis.Sensitivity(objectiveId, _basis.Run(view.Moves));
    }

    private async Task<PlanBasis> NewBasisAsync(ScenarioView view)
    {
        var snapshot = GrainFactory.GetGrain<ICycleGrain>(view.CycleId).GetSnapshotAsync();
        var organisation = GrainFactory.GetGrain<IOrganisationGrain>(view.CompanyId).GetAsync();
        return new PlanBasis(await snapshot, await organisation);
    }

    /// <summary>
    /// Whether the live graph moved on in a way that changes this simulation: the structure changed (other moves, new
    /// nodes, weights, the cycle closed), or a node the simulation reads has another score now — an objective it
    /// scored (each one's score sums up its children's, so a check-in anywhere below shows there) or a moved node. A
    /// check-in that reaches none of them changes no number the simulation shows. Asks the cycle for its version and
    /// those few nodes for their scores, instead of taking a whole snapshot again.
    /// </summary>
    private async Task<bool> LiveChangedAsync(PlanBasis basis, SimulationResult simulation, ImmutableArray<PlanMove> moves)
    {
        var held = basis.Snapshot;
        if (await GrainFactory.GetGrain<ICycleGrain>(held.Cycle.Id).GetStructureVersionAsync() != held.StructureVersion) return true;
        var read = simulation.Impacts.Select(i => i.NodeId)
            .Concat(moves.Select(m => m.SubjectId))
            .Where(id => held.Scores.ContainsKey(id))
            .Distinct()
            .ToList();
        var live = await Task.WhenAll(read.Select(id => basis.Graph.IsObjective(id)
            ? GrainFactory.GetGrain<IObjectiveGrain>(id).GetScoreAsync()
            : GrainFactory.GetGrain<IKeyResultGrain>(id).GetScoreAsync()));
        return live.Any(now => !now.SameAs(held.Scores[now.NodeId]));
    }

    async Task<ScenarioView> IScenarioGrain.ApplyAsync(Actor? actor)
    {
        var view = EnsureEditable(actor);
        // For the record, the moves simulated on the live graph as it is now — what the live objectives will converge to:
        // the last simulation when it is of these moves and still current, else one on a fresh snapshot.
        var simulation = _basis is { } basis && _last is { } last && last.Scenario.Moves == view.Moves
            && !await LiveChangedAsync(basis, last.Simulation, view.Moves)
            ? last.Simulation
            : (await NewBasisAsync(view)).Run(view.Moves).Result;
        await GrainFactory.GetGrain<ICycleGrain>(view.CycleId).ApplyMovesAsync(view.Moves, actor, view.Id);
        _basis = null;
        _last = null;
        return await SaveAsync(view with { State = ScenarioState.Applied, ClosedAt = clock.GetUtcNow(), Applied = simulation });
    }

    async Task<ScenarioView> IScenarioGrain.DiscardAsync(Actor? actor)
    {
        var view = EnsureEditable(actor);
        return await SaveAsync(view with { State = ScenarioState.Discarded, ClosedAt = clock.GetUtcNow() });
    }

    /// <summary>Open, and the actor's to change: its author's (or an admin's), and only while they may plan.</summary>
    private ScenarioView EnsureEditable(Actor? actor)
    {
        var view = View;
        if (actor is not null && !Permissions.MayEditScenario(actor, view.AuthorId))
            throw AccessChecks.Refusal(actor, "scenarioId", Permissions.MayPlan(actor)
                ? $"may not change scenario '{view.Id}': it is {view.Author}'s (an admin may)"
                : "may not plan: scenarios are for team leads and admins");
        return EnsureOpen();
    }

    private ScenarioView EnsureOpen()
    {
        var view = View;
        if (view.State != ScenarioState.Open)
            throw OkrRejectedException.Conflict("state", $"scenario '{view.Id}' was {view.State.ToString().ToLowerInvariant()}; start a new one.");
        return view;
    }

    private static void CheckShape(PlanMove? move)
    {
        switch (move)
        {
            case null: throw OkrRejectedException.Invalid("move", "is required.");
            case MoveKeyResult m:
                Required("keyResultId", m.KeyResultId);
                Required("objectiveId", m.ObjectiveId);
                if (m.Weight is { } w) Check.Weight("weight", w);
                break;
            case RealignObjective r:
                Required("objectiveId", r.ObjectiveId);
                if (!r.Parents.IsDefault)
                    for (int i = 0; i < r.Parents.Length; i++)
                    {
                        Required($"parents[{i}].parentId", r.Parents[i]?.ParentId);
                        Check.Weight($"parents[{i}].weight", r.Parents[i].Weight);
                    }
                break;
            case ChangeWeight c:
                Required("parentId", c.ParentId);
                Required("childId", c.ChildId);
                Check.Weight("weight", c.Weight);
                break;
        }
    }

    private static void Required(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw OkrRejectedException.Invalid(field, "is required.");
    }

    private async Task<ScenarioView> SaveAsync(ScenarioView view)
    {
        var before = state.State.View;
        view = view with { Revision = (before?.Revision ?? 0) + 1 };
        state.State.View = view;
        try { await state.WriteStateAsync(); }
        catch { state.State.View = before; throw; }
        await GrainFactory.GetGrain<IScenarioCatalogGrain>(view.CompanyId)
            .PutAsync(new ScenarioSummary(view.Id, view.Name, view.CycleId, view.Author, view.CreatedAt, view.State, view.Moves.Length));
        // Open planner pages follow it: the list, and this scenario's page in every other browser.
        feed.Publish(new NodeChange(view.Id, NodeKind.Scenario, view.CycleId, view.Revision, null, null, clock.GetUtcNow()));
        return view;
    }
}
