namespace OkrGrid.Web.Apis;

/// <summary>A KPI measurement as a client sends it; the client id may also come from the Idempotency-Key header.</summary>
public sealed record MeasurementRequest(
    double? Value,
    string? Note = null,
    string? Author = null,
    DateTimeOffset? At = null,
    string? ClientId = null);

public static class KpisApi
{
    public static RouteGroupBuilder MapKpisApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/kpis").WithTags("KPIs").WithOkrProblems();
        api.MapGet("/{id}", GetKpiAsync).WithName("GetKpi");
        api.MapPost("/{id}/measurements", RecordMeasurementAsync).WithName("RecordMeasurement");
        return api;
    }

    /// <summary>The KPI's definition, health, linked key results and recent measurements.</summary>
    public static async Task<Ok<KpiView>> GetKpiAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IKpiGrain>(id).GetViewAsync());

    /// <summary>
    /// Records a measurement: 201 with the KPI's new state when applied, 200 with <c>applied: false</c> when this
    /// client id was applied before (a retry).
    /// </summary>
    public static async Task<Results<Created<MeasurementResult>, Ok<MeasurementResult>, ValidationProblem>> RecordMeasurementAsync(
        string id,
        MeasurementRequest request,
        [FromHeader(Name = Idempotency.HeaderName)] string? idempotencyKey,
        IGrainFactory grains)
    {
        if (!Idempotency.TryResolve(idempotencyKey, request.ClientId, out var clientId, out var problem)) return problem;
        if (request.Value is not { } value) return OkrProblems.Invalid("value", "is required.");

        var measurement = new Measurement(clientId, value, request.At ?? default, request.Note ?? "", request.Author ?? "");
        var result = await grains.GetGrain<IKpiGrain>(id).RecordAsync(measurement);
        return result.Applied ? TypedResults.Created((string?)null, result) : TypedResults.Ok(result);
    }
}
