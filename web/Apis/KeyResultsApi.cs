namespace OkrGrid.Web.Apis;

/// <summary>
/// A check-in as a client sends it; the client id may also come from the Idempotency-Key header. An optional trace id
/// (not stored) rides up the cascade with the change it causes, so its arrival anywhere can be timed.
/// </summary>
public sealed record CheckInRequest(
    double? Value,
    double? Confidence = null,
    string? Note = null,
    string? Author = null,
    DateTimeOffset? At = null,
    string? ClientId = null,
    string? TraceId = null);

public static class KeyResultsApi
{
    public static RouteGroupBuilder MapKeyResultsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/key-results").WithTags("Key results").WithOkrProblems();
        api.MapGet("/{id}", GetKeyResultAsync).WithName("GetKeyResult");
        api.MapGet("/{id}/check-ins", GetCheckInsAsync).WithName("GetCheckIns");
        api.MapPost("/{id}/check-ins", CheckInAsync).WithName("CheckIn");
        return api;
    }

    public static async Task<Ok<KeyResultView>> GetKeyResultAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IKeyResultGrain>(id).GetViewAsync());

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
        IGrainFactory grains)
    {
        if (!Idempotency.TryResolve(idempotencyKey, request.ClientId, out var clientId, out var problem)) return problem;
        if (request.Value is not { } value) return OkrProblems.Invalid("value", "is required.");

        var checkIn = new CheckIn(clientId, value, request.Confidence, request.Note ?? "", request.Author ?? "", request.At ?? default,
            TraceId: string.IsNullOrWhiteSpace(request.TraceId) ? null : request.TraceId);
        var result = await grains.GetGrain<IKeyResultGrain>(id).CheckInAsync(checkIn);
        return result.Applied ? TypedResults.Created((string?)null, result) : TypedResults.Ok(result);
    }
}
