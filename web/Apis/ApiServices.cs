using System.Text.Json;
using System.Text.Json.Serialization;
using OkrGrid.Silo.Hosting;
using OkrGrid.Web.Views;

namespace OkrGrid.Web.Apis;

public static class ApiServices
{
    public const int MaxRequestLine = 32 * 1024;
    public const int MaxRequestBody = 1024 * 1024;

    /// <summary>JSON with camelCase string enums, ProblemDetails for every error, the OpenAPI document and health checks.</summary>
    public static IServiceCollection AddOkrGridApi(this IServiceCollection services)
    {
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o =>
        {
            // An over-long id must reach the API, which says what is wrong with it (Kestrel's own 414 has no body).
            o.Limits.MaxRequestLineSize = MaxRequestLine;
            // No request of this API is anywhere near this; a bigger one is refused (413 ProblemDetails) before it is read.
            o.Limits.MaxRequestBodySize = MaxRequestBody;
        });
        services.ConfigureHttpJsonOptions(o =>
        {
            // Enums by name only: an integer would slip through as an undefined value.
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
            // The alignment tree nests two levels per objective level.
            o.SerializerOptions.MaxDepth = 256;
            // A misspelt field is an error, not silence: "parent" for "parents" would make an orphan.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        // A request that cannot be read reaches the exception handler (which names the field) in every environment,
        // not only in Development.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // Answers the framework makes itself (no route, wrong method, wrong content type) name a field and a reason too.
        services.AddProblemDetails(o => o.CustomizeProblemDetails = FrameworkProblem);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi();
        services.AddOkrGridHealth().AddCheck<EngineHealthCheck>("engine").AddCheck<DatabaseHealthCheck>("database").AddCheck<LiveFeedHealthCheck>("live-feed");
        services.AddSingleton<HistoryReader>();
        services.AddSingleton<OkrGrid.Web.Porting.CycleTransfer>();
        // Data sources: the API lists a node's sources from okr_sources (their grains answer the rest).
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton<OkrGrid.Engine.Integrations.SourceStore>(services);
        services.AddOkrGridWebhookAdmin();
        return services;
    }

    private static void FrameworkProblem(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("field")) return;
        var request = context.HttpContext.Request;
        (string Field, string Reason)? said = problem.Status switch
        {
            StatusCodes.Status415UnsupportedMediaType => ("Content-Type", $"must be application/json (got '{request.ContentType ?? "none"}')."),
            StatusCodes.Status405MethodNotAllowed => ("method", $"{request.Method} is not allowed on {request.Path}."),
            StatusCodes.Status404NotFound => ("path", $"there is no endpoint at {request.Path}."),
            StatusCodes.Status413PayloadTooLarge => ("body", $"must be at most {MaxRequestBody / 1024} KiB."),
            _ => null,
        };
        if (said is not { } s) return;
        problem.Detail ??= $"{s.Field}: {s.Reason}";
        problem.Extensions["field"] = s.Field;
        problem.Extensions["reason"] = s.Reason;
    }

    /// <summary>The error responses every OkrGrid endpoint may give, for the OpenAPI document.</summary>
    public static RouteGroupBuilder WithOkrProblems(this RouteGroupBuilder group)
    {
        group.ProducesValidationProblem();
        group.ProducesProblem(StatusCodes.Status401Unauthorized);
        group.ProducesProblem(StatusCodes.Status403Forbidden);
        group.ProducesProblem(StatusCodes.Status404NotFound);
        group.ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }
}
