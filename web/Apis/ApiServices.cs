using System.Text.Json;
using System.Text.Json.Serialization;
using OkrGrid.Web.Views;

namespace OkrGrid.Web.Apis;

public static class ApiServices
{
    /// <summary>JSON with camelCase string enums, ProblemDetails for every error, the OpenAPI document and health checks.</summary>
    public static IServiceCollection AddOkrGridApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            // Enums by name only: an integer would slip through as an undefined value.
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
            // The alignment tree nests two levels per objective level.
            o.SerializerOptions.MaxDepth = 256;
        });
        // A request that cannot be read reaches the exception handler (which names the field) in every environment,
        // not only in Development.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<EngineHealthCheck>("engine").AddCheck<LiveFeedHealthCheck>("live-feed");
        services.AddSingleton<HistoryReader>();
        return services;
    }

    /// <summary>The error responses every OkrGrid endpoint may give, for the OpenAPI document.</summary>
    public static RouteGroupBuilder WithOkrProblems(this RouteGroupBuilder group)
    {
        group.ProducesValidationProblem();
        group.ProducesProblem(StatusCodes.Status404NotFound);
        group.ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }
}
