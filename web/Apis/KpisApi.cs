namespace OkrGrid.Web.Apis;

/// <summary>A KPI measurement as a client sends it; the client id may also come from the Idempotency-Key header.</summary>
public sealed record MeasurementRequest(
    double? Value,
    string? Note = null,
    string? Author = null,
    DateTimeOffset? At = null,
    string? ClientId = null);

/// <summary>Health thresholds: see <see cref="KpiThresholds"/>.</summary>
public sealed record KpiThresholdsRequest(double? Green, double? Yellow);

/// <summary>A new KPI: a slug id, a name, its direction, health thresholds, baseline and owner.</summary>
public sealed record CreateKpiRequest(
    string? Id,
    string? Name,
    Direction? Direction,
    KpiThresholdsRequest? Thresholds,
    double? Baseline,
    OwnerRequest? Owner,
    string? Unit = null);

/// <summary>A KPI in the catalogue with its current state and the key results it feeds.</summary>
public sealed record KpiListItem(KpiDefinition Definition, KpiState State, ImmutableArray<string> LinkedKeyResults);

public static class KpisApi
{
    public static RouteGroupBuilder MapKpisApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/kpis").WithTags("KPIs").WithOkrProblems();
        api.MapGet("/", ListKpisAsync).WithName("ListKpis");
        api.MapGet("/{id}", GetKpiAsync).WithName("GetKpi");
        api.MapPost("/", CreateKpiAsync).WithName("CreateKpi").RequireAuthorization(Policies.Write);
        api.MapDelete("/{id}", DeleteKpiAsync).WithName("DeleteKpi").RequireAuthorization(Policies.Write);
        api.MapGet("/{id}/measurements", GetMeasurementsAsync).WithName("GetMeasurements");
        api.MapPost("/{id}/measurements", RecordMeasurementAsync).WithName("RecordMeasurement").RequireAuthorization(Policies.CheckIn);
        return api;
    }

    /// <summary>Every KPI with its health, by name.</summary>
    public static async Task<Ok<ImmutableArray<KpiListItem>>> ListKpisAsync(IGrainFactory grains)
    {
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        var views = await Task.WhenAll(organisation.Kpis.Select(async k =>
        {
            try { return await grains.GetGrain<IKpiGrain>(k.Id).GetViewAsync(); }
            catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound) { return null; } // deleted meanwhile
        }));
        return TypedResults.Ok(views.OfType<KpiView>()
            .OrderBy(v => v.Definition.Name, StringComparer.Ordinal)
            .Select(v => new KpiListItem(v.Definition, v.State, v.LinkedKeyResults))
            .ToImmutableArray());
    }

    /// <summary>The KPI's definition, health, linked key results and recent measurements.</summary>
    public static async Task<Ok<KpiView>> GetKpiAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IKpiGrain>(id).GetViewAsync());

    public static async Task<Created<KpiView>> CreateKpiAsync(CreateKpiRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var thresholds = Require.Object(request.Thresholds, "thresholds");
        var definition = new KpiDefinition(
            Require.Object(request.Id, "id"),
            Require.Object(request.Name, "name"),
            request.Unit ?? "",
            Require.Value(request.Direction, "direction"),
            new KpiThresholds(Require.Value(thresholds.Green, "thresholds.green"), Require.Value(thresholds.Yellow, "thresholds.yellow")),
            Require.Value(request.Baseline, "baseline"),
            Require.Object(request.Owner, "owner").ToOwner("owner"));
        var kpi = await grains.GetGrain<IOrganisationGrain>(Company.Id).CreateKpiAsync(definition, caller.Actor);
        return TypedResults.Created($"/api/kpis/{kpi.Definition.Id}", kpi);
    }

    /// <summary>Deletes a KPI; one that still feeds key results is refused (409).</summary>
    public static async Task<NoContent> DeleteKpiAsync(string id, IGrainFactory grains, ApiCaller caller)
    {
        await grains.GetGrain<IOrganisationGrain>(Company.Id).DeleteKpiAsync(id, caller.Actor);
        return TypedResults.NoContent();
    }

    /// <summary>Every measurement of the KPI, oldest first.</summary>
    public static async Task<Ok<ImmutableArray<Measurement>>> GetMeasurementsAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IKpiGrain>(id).GetHistoryAsync());

    /// <summary>
    /// Records a measurement: 201 with the KPI's new state when applied, 200 with <c>applied: false</c> when this
    /// client id was applied before (a retry).
    /// </summary>
    public static async Task<Results<Created<MeasurementResult>, Ok<MeasurementResult>, ValidationProblem>> RecordMeasurementAsync(
        string id,
        MeasurementRequest request,
        [FromHeader(Name = Idempotency.HeaderName)] string? idempotencyKey,
        IGrainFactory grains,
        ApiCaller caller)
    {
        if (!Idempotency.TryResolve(idempotencyKey, request.ClientId, out var clientId, out var problem)) return problem;
        if (request.Value is not { } value) return OkrProblems.Invalid("value", "is required.");
        if (request.Author is not null)
            return OkrProblems.Invalid("author", "is whoever sends the measurement (the signed-in person or the token's owner); leave it out.");
        if (request.At is { } at && (at < Check.EarliestDate || at > Check.LatestDate))
            return OkrProblems.Invalid("at", $"must be between {Check.EarliestDate:yyyy-MM-dd} and {Check.LatestDate:yyyy-MM-dd} (leave it out for now).");

        var measurement = new Measurement(clientId, value, request.At ?? default, request.Note ?? "");
        var result = await Idempotency.NamedAsync(idempotencyKey, () => grains.GetGrain<IKpiGrain>(id).RecordAsync(measurement, caller.Actor));
        return result.Applied ? TypedResults.Created($"/api/kpis/{id}/measurements", result) : TypedResults.Ok(result);
    }
}
