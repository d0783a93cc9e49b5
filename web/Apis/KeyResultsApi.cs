namespace OkrGrid.Web.Apis;

/// <summary>
/// A check-in as a client sends it; the client id may also come from the Idempotency-Key header. A
/// <see cref="TraceId"/> (optional, not stored) rides up the cascade, so the moment each ancestor reflects this
/// check-in can be seen on the change feed.
/// </summary>
public sealed record CheckInRequest(
    double? Value,
    double? Confidence = null,
    string? Note = null,
    string? Author = null,
    DateTimeOffset? At = null,
    string? ClientId = null,
    string? TraceId = null);

/// <summary>
/// A new key result. Its cycle is its objective's, or <see cref="CycleId"/> for one aligned to nothing (when both
/// are given they must agree). A milestone runs from 0 to 1, so its start and target may be left out.
/// </summary>
public sealed record CreateKeyResultRequest(
    string? Title,
    OwnerRequest? Owner,
    KeyResultKind? Kind,
    double? Start = null,
    double? Target = null,
    string? ObjectiveId = null,
    string? CycleId = null,
    double? Weight = null,
    string? Unit = null,
    string? KpiId = null,
    string? Id = null);

/// <summary>An edit of a key result's definition; a field left out stays as it is.</summary>
public sealed record EditKeyResultRequest(
    string? Title = null,
    OwnerRequest? Owner = null,
    KeyResultKind? Kind = null,
    double? Start = null,
    double? Target = null,
    string? Unit = null,
    string? KpiId = null);

/// <summary>The objective a key result moves to; the weight it carries there stays as it was when left out.</summary>
public sealed record MoveKeyResultRequest(string? ObjectiveId, double? Weight = null);

public static class KeyResultsApi
{
    public static RouteGroupBuilder MapKeyResultsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/key-results").WithTags("Key results").WithOkrProblems();
        api.MapPost("/", CreateKeyResultAsync).WithName("CreateKeyResult").RequireAuthorization(Policies.Write);
        api.MapGet("/{id}", GetKeyResultAsync).WithName("GetKeyResult");
        api.MapPatch("/{id}", EditKeyResultAsync).WithName("EditKeyResult").RequireAuthorization(Policies.Write);
        api.MapDelete("/{id}", DeleteKeyResultAsync).WithName("DeleteKeyResult").RequireAuthorization(Policies.Write);
        api.MapPut("/{id}/objective", MoveKeyResultAsync).WithName("MoveKeyResult").RequireAuthorization(Policies.Write);
        api.MapDelete("/{id}/objective", DetachKeyResultAsync).WithName("DetachKeyResult").RequireAuthorization(Policies.Write);
        api.MapGet("/{id}/check-ins", GetCheckInsAsync).WithName("GetCheckIns");
        api.MapPost("/{id}/check-ins", CheckInAsync).WithName("CheckIn").RequireAuthorization(Policies.CheckIn);
        return api;
    }

    public static async Task<Created<KeyResultDefinition>> CreateKeyResultAsync(CreateKeyResultRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var kind = Require.Value(request.Kind, "kind");
        var milestone = kind == KeyResultKind.Milestone;
        var draft = new KeyResultDraft(
            Require.Object(request.Title, "title"),
            Require.Object(request.Owner, "owner").ToOwner("owner"),
            kind,
            milestone ? request.Start ?? 0 : Require.Value(request.Start, "start"),
            milestone ? request.Target ?? 1 : Require.Value(request.Target, "target"),
            request.ObjectiveId,
            request.Weight ?? 1.0,
            request.Unit ?? "",
            request.KpiId,
            request.Id);
        var cycleId = request.CycleId
            ?? (request.ObjectiveId is { } objectiveId
                ? NodeIds.CycleOf(objectiveId) ?? throw OkrRejectedException.NotFound("objectiveId", objectiveId)
                : throw OkrRejectedException.Invalid("cycleId", "is required for a key result aligned to no objective."));
        var keyResult = await grains.GetGrain<ICycleGrain>(cycleId).CreateKeyResultAsync(draft, caller.Actor);
        return TypedResults.Created($"/api/key-results/{keyResult.Id}", keyResult);
    }

    public static async Task<Ok<KeyResultView>> GetKeyResultAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IKeyResultGrain>(id).GetViewAsync());

    public static async Task<Ok<KeyResultDefinition>> EditKeyResultAsync(string id, EditKeyResultRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var edit = new KeyResultEdit(request.Title, request.Owner?.ToOwner("owner"), request.Kind, request.Start, request.Target, request.Unit, request.KpiId);
        return TypedResults.Ok(await grains.InCycleOfAsync("keyResultId", id, cycle => cycle.EditKeyResultAsync(id, edit, caller.Actor)));
    }

    /// <summary>Deletes a key result with its check-ins' effect on its objective (the journal keeps the facts).</summary>
    public static async Task<NoContent> DeleteKeyResultAsync(string id, IGrainFactory grains, ApiCaller caller)
    {
        await grains.InCycleOfAsync("keyResultId", id, async cycle =>
        {
            // The cycle deletes any node; this endpoint deletes key results only.
            if (await cycle.GetKeyResultSetupAsync(id) is null) throw OkrRejectedException.NotFound("keyResultId", id);
            await cycle.DeleteAsync(id, detachChildren: false, caller.Actor);
        });
        return TypedResults.NoContent();
    }

    /// <summary>Moves the key result under another objective of its cycle.</summary>
    public static async Task<NoContent> MoveKeyResultAsync(string id, MoveKeyResultRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var objectiveId = Require.Object(request.ObjectiveId, "objectiveId");
        await grains.InCycleOfAsync("keyResultId", id, cycle => cycle.MoveKeyResultAsync(id, objectiveId, request.Weight, caller.Actor));
        return TypedResults.NoContent();
    }

    /// <summary>Detaches the key result from its objective: it stays, counted in nothing.</summary>
    public static async Task<NoContent> DetachKeyResultAsync(string id, IGrainFactory grains, ApiCaller caller)
    {
        await grains.InCycleOfAsync("keyResultId", id, cycle => cycle.MoveKeyResultAsync(id, null, null, caller.Actor));
        return TypedResults.NoContent();
    }

    /// <summary>The key result's check-ins, oldest first.</summary>
    public static async Task<Ok<ImmutableArray<CheckIn>>> GetCheckInsAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IKeyResultGrain>(id).GetHistoryAsync());

    /// <summary>
    /// Records a check-in: 201 with the new score when applied, 200 with <c>applied: false</c> when this client id
    /// was applied before (a retry).
    /// </summary>
    public static async Task<Results<Created<CheckInResult>, Ok<CheckInResult>, ValidationProblem>> CheckInAsync(
        string id,
        CheckInRequest request,
        [FromHeader(Name = Idempotency.HeaderName)] string? idempotencyKey,
        IGrainFactory grains,
        ApiCaller caller,
        [FromServices] OkrGrid.Web.Telemetry.PropagationTracker propagation)
    {
        if (!Idempotency.TryResolve(idempotencyKey, request.ClientId, out var clientId, out var problem)) return problem;
        if (request.Value is not { } value) return OkrProblems.Invalid("value", "is required.");
        if (request.Author is not null)
            return OkrProblems.Invalid("author", "is whoever sends the check-in (the signed-in person or the token's owner); leave it out.");
        // The engine reads a missing time as "now"; a given one must be a real date, not 0001-01-01.
        if (request.At is { } at && (at < Check.EarliestDate || at > Check.LatestDate))
            return OkrProblems.Invalid("at", $"must be between {Check.EarliestDate:yyyy-MM-dd} and {Check.LatestDate:yyyy-MM-dd} (leave it out for now).");

        var checkIn = new CheckIn(clientId, value, request.Confidence, request.Note ?? "", "", request.At ?? default, request.TraceId);
        var result = await Idempotency.NamedAsync(idempotencyKey, () => grains.GetGrain<IKeyResultGrain>(id).CheckInAsync(checkIn, caller.Actor));
        // Acknowledged now: the propagation lag of a traced check-in is timed from here (a retry's is not timed again).
        if (result.Applied && request.TraceId is { Length: > 0 } traceId) propagation.Acknowledged(traceId);
        return result.Applied ? TypedResults.Created($"/api/key-results/{id}/check-ins", result) : TypedResults.Ok(result);
    }
}
