using Microsoft.AspNetCore.Diagnostics;

namespace OkrGrid.Web.Apis;

/// <summary>
/// Maps the engine's refusals to ProblemDetails: Invalid → 400 with <c>errors: { field: [reason] }</c>,
/// NotFound → 404, Conflict → 409. Each body also carries <c>field</c> and <c>reason</c>.
/// </summary>
public static class OkrProblems
{
    public static IResult From(OkrRejectedException rejection) => rejection.Kind switch
    {
        RejectionKind.Invalid => Invalid(rejection.Field, rejection.Reason),
        RejectionKind.NotFound => Problem(StatusCodes.Status404NotFound, "Not found", rejection),
        RejectionKind.Conflict => Problem(StatusCodes.Status409Conflict, "Conflict", rejection),
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
internal sealed class ApiExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var result = exception switch
        {
            OkrRejectedException rejection => OkrProblems.From(rejection),
            BadHttpRequestException bad => UnreadableRequest.ProblemOf(bad),
            _ => null,
        };
        if (result is null) return false;
        await result.ExecuteAsync(httpContext);
        return true;
    }
}
