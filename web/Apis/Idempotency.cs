using System.Diagnostics.CodeAnalysis;

namespace OkrGrid.Web.Apis;

/// <summary>
/// Check-ins and measurements are applied once per client id: it comes from the <c>Idempotency-Key</c> header or
/// the body's <c>clientId</c>; one of them is required, and when both are given they must agree.
/// </summary>
public static class Idempotency
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>A reused key (422) names where the client put it: the header, or the body's clientId.</summary>
    public static async Task<T> NamedAsync<T>(string? header, Func<Task<T>> call)
    {
        try { return await call(); }
        catch (OkrRejectedException e) when (e.Kind == RejectionKind.Mismatch && !string.IsNullOrWhiteSpace(header))
        {
            throw new OkrRejectedException(e.Kind, HeaderName, e.Reason);
        }
    }

    public static bool TryResolve(string? header, string? bodyClientId,
        [NotNullWhen(true)] out string? clientId, [NotNullWhen(false)] out ValidationProblem? problem)
    {
        header = string.IsNullOrWhiteSpace(header) ? null : header.Trim();
        bodyClientId = string.IsNullOrWhiteSpace(bodyClientId) ? null : bodyClientId.Trim();
        if (header is not null && bodyClientId is not null && header != bodyClientId)
        {
            clientId = null;
            problem = OkrProblems.Invalid("clientId", $"differs from the {HeaderName} header; send one or make them equal.");
            return false;
        }
        clientId = header ?? bodyClientId;
        if (clientId is null)
        {
            problem = OkrProblems.Invalid(HeaderName, $"is required: send an {HeaderName} header (or clientId in the body) so that a retry is applied once.");
            return false;
        }
        problem = null;
        return true;
    }
}
