using System.Globalization;
using System.Text;
using System.Text.Json;
using OkrGrid.Engine.Integrations;
using OkrGrid.Sources;

namespace OkrGrid.Web.Apis;

/// <summary>
/// A new data source for a key result (<see cref="KeyResultId"/>) or a KPI (<see cref="KpiId"/>): <c>push</c> (an
/// ingest URL with its own token), <c>http</c> (<see cref="Url"/>, <see cref="JsonPath"/>, optional auth header) or
/// <c>sql</c> (<see cref="ConnectionString"/>, <see cref="Query"/>; admins only), polled every
/// <see cref="IntervalSeconds"/> (at least a minute; 5 minutes when left out).
/// </summary>
public sealed record CreateSourceRequest(
    string? Name,
    SourceKind? Kind,
    string? KeyResultId = null,
    string? KpiId = null,
    int? IntervalSeconds = null,
    string? Url = null,
    string? JsonPath = null,
    string? AuthHeaderName = null,
    string? AuthHeaderValue = null,
    string? ConnectionString = null,
    string? Query = null);

/// <summary>A change of a source's settings; a field left out stays. Secrets may be replaced, never read.</summary>
public sealed record EditSourceRequest(
    string? Name = null,
    int? IntervalSeconds = null,
    string? Url = null,
    string? JsonPath = null,
    string? AuthHeaderName = null,
    string? AuthHeaderValue = null,
    bool? RemoveAuthHeader = null,
    string? ConnectionString = null,
    string? Query = null);

/// <summary>A new source (or a rotated token): the source and, shown this once, the ingest token and the full ingest URL.</summary>
public sealed record SourceCreatedResponse(SourceView Source, string? Token, string? IngestUrl);

/// <summary>What a push did: applied (201), or a retry of an id applied before (200, <c>applied: false</c>).</summary>
public sealed record IngestResponse(bool Applied, string NodeId, double Value, DateTimeOffset At);

/// <summary>
/// Data sources: key results and KPIs that update themselves, by push (the ingest URL) or by pull (HTTP JSON, SQL), each
/// value a check-in by the source. Admins and leads of the owning team manage them (SQL sources: admins); anyone signed
/// in sees that a node has sources and how they fare — never a secret, and where one reads from only if they manage it.
/// </summary>
public static class SourcesApi
{
    /// <summary>The most a push body may be: a number, a time, an id and a note.</summary>
    public const int MaxIngestBody = 4 * 1024;

    public static RouteGroupBuilder MapSourcesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/sources").WithTags("Data sources").WithOkrProblems();
        api.MapGet("/", ListSourcesAsync).WithName("ListSources");
        api.MapPost("/", CreateSourceAsync).WithName("CreateSource").RequireAuthorization(Policies.Write);
        api.MapGet("/{id}", GetSourceAsync).WithName("GetSource");
        api.MapPatch("/{id}", EditSourceAsync).WithName("EditSource").RequireAuthorization(Policies.Write);
        api.MapDelete("/{id}", DeleteSourceAsync).WithName("DeleteSource").RequireAuthorization(Policies.Write);
        api.MapPost("/{id}/token", RotateTokenAsync).WithName("RotateSourceToken").RequireAuthorization(Policies.Write);
        api.MapDelete("/{id}/token", RevokeTokenAsync).WithName("RevokeSourceToken").RequireAuthorization(Policies.Write);
        api.MapPost("/{id}/test", TestSourceAsync).WithName("TestSource").RequireAuthorization(Policies.Write);
        api.MapPost("/{id}/sync", SyncSourceAsync).WithName("SyncSource").RequireAuthorization(Policies.Write);

        // The ingest URL: no account, no session — the source's own token, in the Authorization header only.
        app.MapPost("/ingest/{sourceId}", IngestAsync).WithName("Ingest").WithTags("Data sources").AllowAnonymous()
            .Accepts<IngestBody>("application/json", "text/plain")
            .Produces<IngestResponse>(StatusCodes.Status201Created).Produces<IngestResponse>()
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        return api;
    }

    /// <summary>The JSON form of a push (the body may also be the bare number as text/plain).</summary>
    public sealed record IngestBody(double Value, DateTimeOffset? At = null, string? Id = null, string? Note = null);

    /// <summary>The sources of a key result or KPI (<c>nodeId</c>), oldest first.</summary>
    public static async Task<Ok<ImmutableArray<SourceView>>> ListSourcesAsync(string? nodeId, IGrainFactory grains, ApiCaller caller,
        [FromServices] SourceStore store, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(nodeId)) throw OkrRejectedException.Invalid("nodeId", "is required: the key result or KPI whose sources to list.");
        if (RouteValuesFilter.Problem(nodeId) is { } problem) throw OkrRejectedException.Invalid("nodeId", problem);
        var ids = await store.IdsOfNodeAsync(nodeId, ct);
        var views = await Task.WhenAll(ids.Select(async id =>
        {
            try { return await grains.GetGrain<ISourceGrain>(id).GetAsync(caller.Actor); }
            catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound) { return null; } // deleted meanwhile
        }));
        return TypedResults.Ok(views.OfType<SourceView>().ToImmutableArray());
    }

    public static async Task<Created<SourceCreatedResponse>> CreateSourceAsync(CreateSourceRequest request, IGrainFactory grains, ApiCaller caller, HttpContext context)
    {
        var kind = Require.Value(request.Kind, "kind");
        var name = Require.Object(request.Name, "name");
        var (nodeId, nodeKind) = (request.KeyResultId, request.KpiId) switch
        {
            ({ } kr, null) => (kr, SourceNodeKind.KeyResult),
            (null, { } kpi) => (kpi, SourceNodeKind.Kpi),
            (null, null) => throw OkrRejectedException.Invalid("keyResultId", "is required (or kpiId): the key result or KPI the source feeds."),
            _ => throw OkrRejectedException.Invalid("kpiId", "give keyResultId or kpiId, not both."),
        };
        var field = nodeKind == SourceNodeKind.Kpi ? "kpiId" : "keyResultId";
        if (RouteValuesFilter.Problem(nodeId) is { } problem) throw OkrRejectedException.Invalid(field, problem);
        var draft = new SourceDraft(nodeId, nodeKind, name, kind, request.IntervalSeconds, request.Url, request.JsonPath,
            request.AuthHeaderName, request.AuthHeaderValue, request.ConnectionString, request.Query, Company.Id);
        var id = SourceRules.NewId();
        var created = await grains.GetGrain<ISourceGrain>(id).CreateAsync(draft, caller.Actor);
        return TypedResults.Created($"/api/sources/{id}", Response(created, context));
    }

    public static async Task<Ok<SourceView>> GetSourceAsync(string id, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await Source(grains, id).GetAsync(caller.Actor));

    public static async Task<Ok<SourceView>> EditSourceAsync(string id, EditSourceRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var edit = new SourceEdit(request.Name, request.IntervalSeconds, request.Url, request.JsonPath, request.AuthHeaderName,
            request.AuthHeaderValue, request.RemoveAuthHeader ?? false, request.ConnectionString, request.Query);
        return TypedResults.Ok(await Source(grains, id).EditAsync(edit, caller.Actor));
    }

    public static async Task<NoContent> DeleteSourceAsync(string id, IGrainFactory grains, ApiCaller caller)
    {
        await Source(grains, id).DeleteAsync(caller.Actor);
        return TypedResults.NoContent();
    }

    /// <summary>A new ingest token (shown once); the old one stops working at once.</summary>
    public static async Task<Ok<SourceCreatedResponse>> RotateTokenAsync(string id, IGrainFactory grains, ApiCaller caller, HttpContext context) =>
        TypedResults.Ok(Response(await Source(grains, id).RotateTokenAsync(caller.Actor), context));

    /// <summary>No ingest token until a new one is made: every push is refused (401).</summary>
    public static async Task<Ok<SourceView>> RevokeTokenAsync(string id, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await Source(grains, id).RevokeTokenAsync(caller.Actor));

    /// <summary>Fetches once and shows the value (or the error) without writing anything.</summary>
    public static async Task<Ok<SourceFetch>> TestSourceAsync(string id, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await Source(grains, id).TestAsync(caller.Actor));

    /// <summary>Pulls now, as the schedule would (a check-in when the value changed); answers the source's new status.</summary>
    public static async Task<Ok<SourceView>> SyncSourceAsync(string id, IGrainFactory grains, ApiCaller caller) =>
        TypedResults.Ok(await Source(grains, id).SyncAsync(caller.Actor));

    private static ISourceGrain Source(IGrainFactory grains, string id) =>
        SourceRules.IsId(id) ? grains.GetGrain<ISourceGrain>(id) : throw OkrRejectedException.NotFound("sourceId", id);

    private static SourceCreatedResponse Response(SourceCreated created, HttpContext context) =>
        new(created.Source, created.Token, created.Source.IngestPath is { } path ? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{path}" : null);

    // ---- Ingest -------------------------------------------------------------------------------------------------

    /// <summary>
    /// A value pushed to a source: <c>Authorization: Bearer okri_…</c> (never in the address: it would be logged), and a
    /// body <c>{"value": 42.5, "at"?: …, "id"?: …, "note"?: …}</c> or the bare number as text/plain. <c>id</c> (or the
    /// Idempotency-Key header) makes a retry apply once. A wrong, rotated or revoked token — or a source that does not
    /// exist — is the same 401.
    /// </summary>
    public static async Task<IResult> IngestAsync(string sourceId, HttpRequest request, IGrainFactory grains, ILoggerFactory loggers)
    {
        if (request.Query.ContainsKey("token") || request.Query.ContainsKey("access_token"))
            return OkrProblems.Invalid("token", "is not accepted in the address (addresses end up in logs); send it as 'Authorization: Bearer okri_…'.");
        var header = request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        if (token.Length is 0 or > 200) return Unauthorized();

        var (body, problem) = await ReadIngestBodyAsync(request);
        if (problem is not null) return problem;
        var idHeader = request.Headers[Idempotency.HeaderName].ToString();
        var entryId = body!.Id;
        if (idHeader.Length > 0)
        {
            if (entryId is not null && entryId != idHeader.Trim())
                return OkrProblems.Invalid("id", $"differs from the {Idempotency.HeaderName} header; send one or make them equal.");
            entryId = idHeader.Trim();
        }
        if (entryId is not null && (entryId.Length is 0 or > SourceRules.MaxEntryId || RouteValuesFilter.Problem(entryId) is not null))
            return OkrProblems.Invalid("id", $"must be 1–{SourceRules.MaxEntryId} visible characters.");
        if (!SourceRules.IsId(sourceId)) return Unauthorized();

        var result = await grains.GetGrain<ISourceGrain>(sourceId).PushAsync(new SourcePush(token, body.Value, body.At, entryId, body.Note ?? ""));
        switch (result.Outcome)
        {
            case PushOutcome.Unauthorized:
                loggers.CreateLogger(typeof(SourcesApi)).IngestRefused(sourceId);
                return Unauthorized();
            case PushOutcome.RateLimited:
                request.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(result.RetryAfter?.TotalSeconds ?? 1)).ToString(CultureInfo.InvariantCulture);
                return OkrProblems.Problem(StatusCodes.Status429TooManyRequests, "Too many requests", "sourceId",
                    "this source takes at most its configured pushes per second (Sources:PushesPerSecond); retry after the Retry-After seconds.");
            default:
                var answer = new IngestResponse(result.Outcome == PushOutcome.Applied, result.NodeId!, result.Value!.Value, result.At!.Value);
                return result.Outcome == PushOutcome.Applied ? TypedResults.Json(answer, statusCode: StatusCodes.Status201Created) : TypedResults.Json(answer);
        }
    }

    private static IResult Unauthorized()
    {
        return new UnauthorizedProblem();
    }

    /// <summary>401 with a Bearer challenge and the same reason whatever was wrong (it says nothing about the source).</summary>
    private sealed class UnauthorizedProblem : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return OkrProblems.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "Authorization",
                "send this source's ingest token as 'Authorization: Bearer okri_…'; this one is not valid for it (wrong, rotated or revoked).").ExecuteAsync(context);
        }
    }

    private static async Task<(IngestBody? Body, IResult? Problem)> ReadIngestBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxIngestBody) return (null, TooLarge());
        var buffer = new MemoryStream();
        var chunk = new byte[1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxIngestBody) return (null, TooLarge());
        }
        var bytes = buffer.ToArray();
        var mediaType = request.ContentType is { } ct ? ct.Split(';')[0].Trim().ToLowerInvariant() : null;
        var json = mediaType switch
        {
            "application/json" => true,
            "text/plain" => false,
            null => bytes.SkipWhile(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n').FirstOrDefault() == (byte)'{',
            _ when mediaType.EndsWith("+json", StringComparison.Ordinal) => true,
            _ => (bool?)null,
        };
        if (json is null)
            return (null, OkrProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type",
                $"must be application/json or text/plain (got '{request.ContentType}')."));
        return json.Value ? ParseJson(bytes) : ParseText(bytes);
    }

    private static IResult TooLarge() =>
        OkrProblems.Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", "body", $"must be at most {MaxIngestBody / 1024} KiB: one value.");

    private static (IngestBody?, IResult?) ParseText(byte[] bytes)
    {
        string text;
        try { text = new UTF8Encoding(false, true).GetString(bytes).Trim(); }
        catch (DecoderFallbackException) { return (null, OkrProblems.Invalid("value", "must be a number in UTF-8 text, e.g. 42.5.")); }
        if (text.Length == 0) return (null, OkrProblems.Invalid("value", "is required: send the number, e.g. 42.5."));
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            return (null, OkrProblems.Invalid("value", $"must be a number like 42.5 (got '{(text.Length > 40 ? text[..40] + "…" : text)}')."));
        return (new IngestBody(value), null);
    }

    private static (IngestBody?, IResult?) ParseJson(byte[] bytes)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { return (null, OkrProblems.Invalid("body", $"is not valid JSON: {e.Message.Split(" Path:")[0]}")); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Number)
                return root.TryGetDouble(out var bare) && double.IsFinite(bare) ? (new IngestBody(bare), null) : (null, OkrProblems.Invalid("value", "must be a finite number."));
            if (root.ValueKind != JsonValueKind.Object) return (null, OkrProblems.Invalid("body", "must be a JSON object like {\"value\": 42.5} (or the bare number)."));
            double? value = null;
            DateTimeOffset? at = null;
            string? id = null, note = null;
            foreach (var property in root.EnumerateObject())
            {
                var p = property.Value;
                switch (property.Name)
                {
                    case "value":
                        if (p.ValueKind == JsonValueKind.Number && p.TryGetDouble(out var number) && double.IsFinite(number)) value = number;
                        else if (p.ValueKind == JsonValueKind.String && double.TryParse(p.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed)) value = parsed;
                        else return (null, OkrProblems.Invalid("value", $"must be a finite number (got {Describe(p)})."));
                        break;
                    case "at":
                        if (p.ValueKind == JsonValueKind.Null) break;
                        if (p.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(p.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
                            return (null, OkrProblems.Invalid("at", "must be a date and time in ISO 8601 form, e.g. 2026-11-02T09:00:00Z (leave it out for now)."));
                        if (when < Check.EarliestDate || when > Check.LatestDate)
                            return (null, OkrProblems.Invalid("at", $"must be between {Check.EarliestDate:yyyy-MM-dd} and {Check.LatestDate:yyyy-MM-dd} (leave it out for now)."));
                        at = when;
                        break;
                    case "id":
                        if (p.ValueKind == JsonValueKind.Null) break;
                        if (p.ValueKind != JsonValueKind.String) return (null, OkrProblems.Invalid("id", "must be a string."));
                        id = p.GetString()!.Trim();
                        break;
                    case "note":
                        if (p.ValueKind == JsonValueKind.Null) break;
                        if (p.ValueKind != JsonValueKind.String) return (null, OkrProblems.Invalid("note", "must be a string."));
                        note = p.GetString();
                        if (note!.Length > Check.MaxNote) return (null, OkrProblems.Invalid("note", $"must be at most {Check.MaxNote} characters."));
                        break;
                    default:
                        return (null, OkrProblems.Invalid(property.Name.Length > 40 ? "body" : property.Name, "is not a field of a push (its fields: value, at, id, note)."));
                }
            }
            if (value is null) return (null, OkrProblems.Invalid("value", "is required: {\"value\": 42.5}."));
            return (new IngestBody(value.Value, at, id, note), null);
        }
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"the text \"{(e.GetString()!.Length > 30 ? e.GetString()![..30] + "…" : e.GetString())}\"",
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => e.GetRawText(),
    };
}
