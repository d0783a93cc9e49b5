using Microsoft.AspNetCore.Diagnostics;

namespace OkrGrid.Web.Apis;

/// <summary>
/// Maps the engine's refusals to ProblemDetails: Invalid → 400 with <c>errors: { field: [reason] }</c>,
/// NotFound → 404, Conflict → 409, Forbidden → 403. Each body also carries <c>field</c> and <c>reason</c>.
/// </summary>
public static class OkrProblems
{
    public static IResult From(OkrRejectedException rejection) => rejection.Kind switch
    {
        RejectionKind.Invalid => Invalid(rejection.Field, rejection.Reason),
        RejectionKind.NotFound => Problem(StatusCodes.Status404NotFound, "Not found", rejection),
        RejectionKind.Conflict => Problem(StatusCodes.Status409Conflict, "Conflict", rejection),
        RejectionKind.Forbidden => Problem(StatusCodes.Status403Forbidden, "Forbidden", rejection),
        RejectionKind.Mismatch => Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency key reused", rejection),
        _ => Problem(StatusCodes.Status400BadRequest, "Rejected", rejection),
    };

    public static ValidationProblem Invalid(string field, string reason) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [reason] },
            detail: $"{field}: {reason}",
            extensions: Extensions(field, reason));

    private static ProblemHttpResult Problem(int status, string title, OkrRejectedException rejection) =>
        Problem(status, title, rejection.Field, rejection.Reason);

    public static ProblemHttpResult Problem(int status, string title, string field, string reason) =>
        TypedResults.Problem(
            statusCode: status,
            title: title,
            detail: $"{field}: {reason}",
            extensions: Extensions(field, reason));

    private static Dictionary<string, object?> Extensions(string field, string reason) =>
        new() { ["field"] = field, ["reason"] = reason };
}

/// <summary>
/// Turns an <see cref="OkrRejectedException"/> from any endpoint into its ProblemDetails response, and a request
/// that could not be read (malformed JSON, a value of the wrong type, no body, a query value that does not bind) into
/// a 400 problem naming the field rather than a 500.
/// </summary>
internal sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>How long a client is asked to wait before retrying during an outage.</summary>
    public const int RetryAfterSeconds = 5;

    private IResult Unavailable(HttpContext context, string what)
    {
        logger.LogWarning("{Method} {Path}: {What} — answered 503.", context.Request.Method, context.Request.Path, what);
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return OkrProblems.Problem(StatusCodes.Status503ServiceUnavailable, "Service unavailable", "service",
            $"{what}; nothing you asked for was acknowledged. Retry in {RetryAfterSeconds} s (a check-in with the same Idempotency-Key applies once).");
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var result = exception switch
        {
            OkrRejectedException rejection => OkrProblems.From(rejection),
            BadHttpRequestException bad => UnreadableRequest.ProblemOf(bad),
            _ when Outage.Of(exception, clientHungUp: httpContext.RequestAborted.IsCancellationRequested) is { } what => Unavailable(httpContext, what),
            _ => null,
        };
        if (result is null) return false;
        await result.ExecuteAsync(httpContext);
        return true;
    }
}

/// <summary>
/// Whether a failure is an outage the client should wait out (503 + Retry-After) rather than a bug (500): the database
/// not answering, or the engine's silo being gone. Orleans may hand such an exception over as a stand-in that keeps
/// only its type's name, so the name is what is matched.
/// </summary>
public static class Outage
{
    public static string? Of(Exception exception, bool clientHungUp = false)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var type = (e is Orleans.Serialization.UnavailableExceptionFallbackException fallback ? fallback.ExceptionType : e.GetType().FullName) ?? "";
            if (type.StartsWith("Npgsql.", StringComparison.Ordinal) || e is System.Net.Sockets.SocketException)
                return "the database does not answer";
            if (e is Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException)
                return "the engine is not reachable";
            // Orleans' response timeout: the call may have reached a silo that died with it (a retry with the same
            // Idempotency-Key applies once), or the engine is overloaded. Either way, wait and retry — not a bug.
            if (e is TimeoutException) return "the engine did not answer in time";
            // Orleans cancels a message it could not address while the directory re-homes a dead silo's grains
            // ("Failed to address message"): the call never ran. Only the client hanging up is not an outage.
            if (e is OperationCanceledException && !clientHungUp)
                return "the engine could not route the call while a silo was replaced";
        }
        return null;
    }
}
