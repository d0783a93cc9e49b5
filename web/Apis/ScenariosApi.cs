using OkrGrid.Planning;

namespace OkrGrid.Web.Apis;

/// <summary>A new planner scenario against a cycle (the current one when left out).</summary>
public sealed record CreateScenarioRequest(string? Name, string? CycleId = null, string? Author = null);

public sealed record RenameScenarioRequest(string? Name);

/// <summary>
/// A proposed move. <c>kind</c>: <c>moveKeyResult</c> (keyResultId, objectiveId, weight?), <c>realignObjective</c>
/// (objectiveId, parents: [{parentId, weight?}], empty for none) or <c>changeWeight</c> (parentId, childId, weight).
/// </summary>
public sealed record MoveRequest(
    string? Kind,
    string? KeyResultId = null,
    string? ObjectiveId = null,
    double? Weight = null,
    IReadOnlyList<ParentLinkRequest?>? Parents = null,
    string? ParentId = null,
    string? ChildId = null)
{
    public PlanMove ToMove() => Require.Object(Kind, "kind").Trim() switch
    {
        "moveKeyResult" => new MoveKeyResult(Require.Object(KeyResultId, "keyResultId"), Require.Object(ObjectiveId, "objectiveId"), Weight),
        "realignObjective" => new RealignObjective(Require.Object(ObjectiveId, "objectiveId"), Require.Parents(Require.Object(Parents, "parents"))),
        "changeWeight" => new ChangeWeight(Require.Object(ParentId, "parentId"), Require.Object(ChildId, "childId"), Require.Value(Weight, "weight")),
        var other => throw OkrRejectedException.Invalid("kind", $"'{other}' is not one of moveKeyResult, realignObjective, changeWeight."),
    };
}

/// <summary>
/// The planner: scenarios of proposed moves, their simulated impact on every ancestor, sensitivity, apply (all or
/// none) and discard. Nothing changes the live graph until apply.
/// </summary>
public static class ScenariosApi
{
    public static RouteGroupBuilder MapScenariosApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/scenarios").WithTags("Planner").WithOkrProblems();
        api.MapGet("/", ListScenariosAsync).WithName("ListScenarios");
        api.MapPost("/", CreateScenarioAsync).WithName("CreateScenario").RequireAuthorization(Policies.Plan);
        api.MapGet("/{id}", GetScenarioAsync).WithName("GetScenario");
        api.MapPatch("/{id}", RenameScenarioAsync).WithName("RenameScenario").RequireAuthorization(Policies.Plan);
        api.MapPost("/{id}/moves", AddMoveAsync).WithName("AddScenarioMove").RequireAuthorization(Policies.Plan);
        api.MapDelete("/{id}/moves/{index}", RemoveMoveAsync).WithName("RemoveScenarioMove").RequireAuthorization(Policies.Plan);
        api.MapGet("/{id}/impact", GetImpactAsync).WithName("GetScenarioImpact");
        api.MapGet("/{id}/sensitivity/{objectiveId}", GetSensitivityAsync).WithName("GetScenarioSensitivity");
        api.MapPost("/{id}/apply", ApplyAsync).WithName("ApplyScenario").RequireAuthorization(Policies.Plan);
        api.MapPost("/{id}/discard", DiscardAsync).WithName("DiscardScenario").RequireAuthorization(Policies.Plan);
        return api;
    }

    /// <summary>The company's scenarios, newest first.</summary>
    public static async Task<Ok<ImmutableArray<ScenarioSummary>>> ListScenariosAsync(IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IScenarioCatalogGrain>(Company.Id).ListAsync());

    public static async Task<Created<ScenarioView>> CreateScenarioAsync(CreateScenarioRequest request, IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock, ApiCaller caller)
    {
        var name = Require.Object(request.Name, "name");
        if (request.Author is not null) throw OkrRejectedException.Invalid("author", "is whoever creates the scenario; leave it out.");
        var cycleId = await grains.CycleOrCurrentAsync(clock, request.CycleId);
        var id = ScenarioIds.New(name);
        var view = await grains.GetGrain<IScenarioGrain>(id).CreateAsync(new ScenarioDraft(name, Company.Id, cycleId), caller.Actor);
        return TypedResults.Created($"/api/scenarios/{id}", view);
    }

    public static async Task<Ok<ScenarioView>> GetScenarioAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await Scenario(grains, id).GetAsync());

    public static async Task<Ok<ScenarioView>> RenameScenarioAsync(string id, RenameScenarioRequest request, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await Scenario(grains, id).RenameAsync(Require.Object(request.Name, "name"), caller.Actor));

    /// <summary>Adds a move; an invalid one is kept and reported with its reason by the impact.</summary>
    public static async Task<Created<ScenarioView>> AddMoveAsync(string id, MoveRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var view = await Scenario(grains, id).AddMoveAsync(request.ToMove(), caller.Actor);
        return TypedResults.Created($"/api/scenarios/{id}/moves/{view.Moves.Length - 1}", view);
    }

    public static async Task<Ok<ScenarioView>> RemoveMoveAsync(string id, int index, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await Scenario(grains, id).RemoveMoveAsync(index, caller.Actor));

    /// <summary>
    /// Before/after of every objective on the moves' old and new chains (sorted by the size of the change), moves
    /// left out with their reasons, alignment before/after; <c>liveChanged</c> when the live graph moved on since the
    /// simulation's snapshot — <c>?refresh=true</c> simulates again on a fresh one.
    /// </summary>
    public static async Task<Ok<ScenarioImpact>> GetImpactAsync(string id, bool? refresh, IGrainFactory grains) =>
        TypedResults.Ok(await Scenario(grains, id).GetImpactAsync(refresh ?? false));

    /// <summary>The key results that move the objective most per unit of their own progress, before and after the moves.</summary>
    public static async Task<Ok<Sensitivity>> GetSensitivityAsync(string id, string objectiveId, IGrainFactory grains) =>
        TypedResults.Ok(await Scenario(grains, id).GetSensitivityAsync(objectiveId));

    /// <summary>Applies every move together on the live graph — all or none (409 naming the first invalid move).</summary>
    public static async Task<Ok<ScenarioView>> ApplyAsync(string id, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await Scenario(grains, id).ApplyAsync(caller.Actor));

    public static async Task<Ok<ScenarioView>> DiscardAsync(string id, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await Scenario(grains, id).DiscardAsync(caller.Actor));

    private static IScenarioGrain Scenario(IGrainFactory grains, string id) => grains.GetGrain<IScenarioGrain>(id);
}
