using OkrGrid.Planning;

namespace OkrGrid.Grains;

[GenerateSerializer]
public sealed class ScenarioRecord
{
    [Id(0)] public ScenarioView? View { get; set; }
}

/// <summary>
/// A planner scenario. Its definition and moves are durable; the snapshot it simulates on and the last result are
/// kept in memory only (a new activation takes a fresh snapshot). Nothing here changes the live graph until
/// <see cref="IScenarioGrain.ApplyAsync"/>, which hands all moves to the cycle at once.
/// </summary>
public sealed class ScenarioGrain(
    [PersistentState("scenario", StorageNames.Okr)] IPersistentState<ScenarioRecord> state,
    IEngineClock clock)
    : Grain, IScenarioGrain
{
    public const int MaxMoves = 200;
    private CycleSnapshot? _snapshot;
    private ScenarioImpact? _last;

    private ScenarioView View => state.State.View ?? throw OkrRejectedException.NotFound("scenarioId", this.GetPrimaryKeyString());

    async Task<ScenarioView> IScenarioGrain.CreateAsync(ScenarioDraft draft)
    {
        if (state.State.View is { } existing)
            throw OkrRejectedException.Conflict("id", $"scenario '{existing.Id}' already exists.");
        var name = Check.Title("name", draft.Name, Check.MaxName);
        var author = Check.Text("author", draft.Author ?? "", Check.MaxName);
        var cycle = await GrainFactory.GetGrain<ICycleGrain>(draft.CycleId ?? throw OkrRejectedException.Invalid("cycleId", "is required.")).GetInfoAsync();
        if (cycle.Closed) throw OkrRejectedException.Conflict("cycleId", $"cycle '{cycle.Id}' is closed; reopen it to plan changes.");
        var view = new ScenarioView(this.GetPrimaryKeyString(), name, draft.CompanyId, cycle.Id, author, clock.UtcNow, ScenarioState.Open, [], null);
        return await SaveAsync(view);
    }

    Task<ScenarioView> IScenarioGrain.GetAsync() => Task.FromResult(View);

    Task<ScenarioView> IScenarioGrain.RenameAsync(string name) =>
        SaveAsync(EnsureOpen() with { Name = Check.Title("name", name, Check.MaxName) });

    Task<ScenarioView> IScenarioGrain.AddMoveAsync(PlanMove move)
    {
        var view = EnsureOpen();
        if (view.Moves.Length >= MaxMoves) throw OkrRejectedException.Invalid("moves", $"a scenario holds at most {MaxMoves} moves.");
        CheckShape(move);
        return SaveAsync(view with { Moves = view.Moves.Add(move) });
    }

    Task<ScenarioView> IScenarioGrain.RemoveMoveAsync(int index)
    {
        var view = EnsureOpen();
        if (index < 0 || index >= view.Moves.Length)
            throw OkrRejectedException.NotFound("index", $"move {index} (the scenario has {view.Moves.Length})");
        return SaveAsync(view with { Moves = view.Moves.RemoveAt(index) });
    }

    async Task<ScenarioImpact> IScenarioGrain.GetImpactAsync(bool resimulate)
    {
        var view = View;
        var cycle = GrainFactory.GetGrain<ICycleGrain>(view.CycleId);
        CycleSnapshot? live = null;
        if (_snapshot is null || resimulate)
        {
            _snapshot = live = await cycle.GetSnapshotAsync();
            _last = null;
        }
        // The moves array is replaced on every change, so the same array means the same moves.
        if (_last is not { } last || last.Scenario.Moves != view.Moves)
        {
            var organisation = await GrainFactory.GetGrain<IOrganisationGrain>(view.CompanyId).GetAsync();
            var run = Simulator.Run(_snapshot, view.Moves);
            _last = last = new ScenarioImpact(view, run.Result, AlignmentSummary.Of(run.Before, organisation), AlignmentSummary.Of(run.After, organisation), false);
        }
        live ??= await cycle.GetSnapshotAsync();
        return last with { Scenario = view, LiveChanged = Changed(_snapshot, live) };
    }

    async Task<Sensitivity> IScenarioGrain.GetSensitivityAsync(string objectiveId)
    {
        var view = View;
        _snapshot ??= await GrainFactory.GetGrain<ICycleGrain>(view.CycleId).GetSnapshotAsync();
        var run = Simulator.Run(_snapshot, view.Moves); // refused moves are left out, as in the impact
        var objective = run.Before.Objective(objectiveId) ?? throw OkrRejectedException.NotFound("objectiveId", objectiveId);
        return new Sensitivity(objectiveId, objective.Title,
            Influence.Ranked(run.Before, objectiveId, _snapshot.Scores), Influence.Ranked(run.After, objectiveId, _snapshot.Scores));
    }

    async Task<ScenarioView> IScenarioGrain.ApplyAsync()
    {
        var view = EnsureOpen();
        await GrainFactory.GetGrain<ICycleGrain>(view.CycleId).ApplyMovesAsync(view.Moves);
        _snapshot = null;
        _last = null;
        return await SaveAsync(view with { State = ScenarioState.Applied, ClosedAt = clock.UtcNow });
    }

    async Task<ScenarioView> IScenarioGrain.DiscardAsync()
    {
        var view = EnsureOpen();
        return await SaveAsync(view with { State = ScenarioState.Discarded, ClosedAt = clock.UtcNow });
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

    /// <summary>The live graph moved on: other structure, or any node's score differs.</summary>
    private static bool Changed(CycleSnapshot held, CycleSnapshot live) =>
        !held.Objectives.SequenceEqual(live.Objectives) || !held.KeyResults.SequenceEqual(live.KeyResults)
        || !held.Edges.ToHashSet().SetEquals(live.Edges) || held.Cycle.Closed != live.Cycle.Closed
        || held.Scores.Count != live.Scores.Count
        || held.Scores.Any(kv => !live.Scores.TryGetValue(kv.Key, out var now) || !now.SameAs(kv.Value));

    private async Task<ScenarioView> SaveAsync(ScenarioView view)
    {
        var before = state.State.View;
        state.State.View = view;
        try { await state.WriteStateAsync(); }
        catch { state.State.View = before; throw; }
        await GrainFactory.GetGrain<IScenarioCatalogGrain>(view.CompanyId)
            .PutAsync(new ScenarioSummary(view.Id, view.Name, view.CycleId, view.Author, view.CreatedAt, view.State, view.Moves.Length));
        return view;
    }
}

[GenerateSerializer]
public sealed class ScenarioCatalogRecord
{
    [Id(0)] public Dictionary<string, ScenarioSummary> Scenarios { get; set; } = [];
}

/// <summary>The company's list of scenarios (a line each), kept by the scenarios themselves as they change.</summary>
public sealed class ScenarioCatalogGrain(
    [PersistentState("scenario-catalog", StorageNames.Okr)] IPersistentState<ScenarioCatalogRecord> state)
    : Grain, IScenarioCatalogGrain
{
    async Task IScenarioCatalogGrain.PutAsync(ScenarioSummary summary)
    {
        state.State.Scenarios[summary.Id] = summary;
        await state.WriteStateAsync();
    }

    Task<ImmutableArray<ScenarioSummary>> IScenarioCatalogGrain.ListAsync() =>
        Task.FromResult(state.State.Scenarios.Values.OrderByDescending(s => s.CreatedAt).ToImmutableArray());
}
