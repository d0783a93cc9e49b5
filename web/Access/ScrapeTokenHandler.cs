using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using OkrGrid.Silo.Telemetry;

namespace OkrGrid.Web.Access;

/// <summary>
/// <c>GET /metrics</c> with <c>Authorization: Bearer &lt;Telemetry:ScrapeToken&gt;</c>: a Prometheus scraper (which has
/// no account) reads the metrics. The principal is a scraper and nothing else — the scheme is chosen on /metrics only,
/// and the policies of every other route refuse the kind. Compared in constant time; never stored or logged.
/// </summary>
public sealed class ScrapeTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IConfiguration configuration)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ScrapeToken";
    public const string MetricsPath = "/metrics";

    private static readonly string[] OkrGridPrefixes = ["okrp_", "okrs_", "okrw_"];

    private readonly byte[]? _expected = TelemetrySettings.Read(configuration).ScrapeToken is { } token ? Encoding.UTF8.GetBytes(token) : null;

    /// <summary>The bearer of a /metrics request when it is not one of OkrGrid's own tokens (those go to the usual scheme).</summary>
    public static string? Presented(HttpRequest request)
    {
        if (!request.Path.StartsWithSegments(MetricsPath)) return null;
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var token = header["Bearer ".Length..].Trim();
        return OkrGridPrefixes.Any(p => token.StartsWith(p, StringComparison.Ordinal)) ? null : token;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Presented(Request) is not { } presented) return Task.FromResult(AuthenticateResult.NoResult());
        if (_expected is null)
            return Task.FromResult(Fail("is not an OkrGrid token, and this host has no scrape token (Telemetry:ScrapeToken); send an admin's token."));
        if (!CryptographicOperations.FixedTimeEquals(_expected, Encoding.UTF8.GetBytes(presented)))
            return Task.FromResult(Fail("is not this host's scrape token (Telemetry:ScrapeToken)."));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new(OkrClaims.Kind, OkrClaims.KindScraper),
            new(ClaimTypes.Name, "Metrics scraper"),
            new(ClaimTypes.NameIdentifier, "scraper"),
        ], SchemeName, ClaimTypes.Name, ClaimTypes.Role));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    private AuthenticateResult Fail(string reason)
    {
        AccessProblems.RememberAuthenticationFailure(Context, "Authorization", $"The bearer token {reason}");
        return AuthenticateResult.Fail(reason);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => AccessProblems.WriteUnauthenticatedAsync(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AccessProblems.WriteForbiddenAsync(Context, null);
}
