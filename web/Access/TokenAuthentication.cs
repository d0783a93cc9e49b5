using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// <c>Authorization: Bearer okrp_…|okrs_…</c> — personal and service API tokens (for a SignalR client's WebSocket,
/// which cannot send headers, also <c>?access_token=</c> on the hub). A personal token acts as its account, within the
/// token's scope; a service token as a service, as admin or as lead of its team. A token that does not pass says why
/// (malformed, unknown, revoked, expired, a wall link) in the 401's ProblemDetails.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AccessTokens tokens, UserDirectory users)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    private static readonly TokenKind[] Accepted = [TokenKind.Personal, TokenKind.Service];

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented(Request);
        if (presented is null) return AuthenticateResult.NoResult();
        var check = await tokens.CheckAsync(presented, Accepted, Context.RequestAborted);
        if (!check.Ok) return Fail(check.Reason);
        var token = check.Token!;
        var claims = new List<Claim>
        {
            new(OkrClaims.TokenId, token.Id),
            new(OkrClaims.Scope, Roles.Name(token.Scope)),
        };
        if (token.Kind == TokenKind.Personal)
        {
            if (token.UserId is null || await users.GetAsync(token.UserId, Context.RequestAborted) is not { Disabled: false } owner)
                return Fail("belongs to an account that is disabled or gone.");
            claims.Add(new(OkrClaims.Kind, OkrClaims.KindUser));
            claims.Add(new(OkrClaims.UserId, owner.Id));
            claims.Add(new(ClaimTypes.NameIdentifier, owner.Id));
            claims.Add(new(ClaimTypes.Name, owner.DisplayName));
        }
        else
        {
            claims.Add(new(OkrClaims.Kind, OkrClaims.KindService));
            claims.Add(new(ClaimTypes.NameIdentifier, $"service:{token.Id}"));
            claims.Add(new(ClaimTypes.Name, token.Name));
            claims.Add(new(OkrClaims.Role, Roles.Name(token.TeamId is null ? Role.Admin : Role.Lead)));
            if (token.TeamId is not null) claims.Add(new(OkrClaims.Team, token.TeamId));
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, ClaimTypes.Name, ClaimTypes.Role));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private AuthenticateResult Fail(string reason)
    {
        AccessProblems.RememberAuthenticationFailure(Context, "Authorization", $"The bearer token {reason}");
        return AuthenticateResult.Fail(reason);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => AccessProblems.WriteUnauthenticatedAsync(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AccessProblems.WriteForbiddenAsync(Context, null);

    /// <summary>The token of a request: the Authorization header, or <c>access_token</c> on the hub (WebSockets send no headers).</summary>
    public static string? Presented(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments(ScorecardHub.Path) && request.Query["access_token"].ToString() is { Length: > 0 } query) return query;
        return null;
    }
}

/// <summary>
/// Wall links (<c>okrw_…</c>): a TV opens <c>/wall?link=…</c> without signing in (the page checks the link itself);
/// a SignalR client reads that scorecard from the hub with <c>/hubs/scorecard?link=…</c>. The principal can read one
/// scorecard — nothing else.
/// </summary>
public sealed class WallLinkHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccessTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "WallLink";
    public const string QueryKey = "link";

    private static readonly TokenKind[] Accepted = [TokenKind.Wall];

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Query[QueryKey].ToString() is not { Length: > 0 } presented) return AuthenticateResult.NoResult();
        var check = await tokens.CheckAsync(presented, Accepted, Context.RequestAborted);
        if (!check.Ok)
        {
            AccessProblems.RememberAuthenticationFailure(Context, QueryKey, $"The wall link {check.Reason}");
            return AuthenticateResult.Fail(check.Reason);
        }
        var link = check.Token!;
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new(OkrClaims.Kind, OkrClaims.KindWall),
            new(OkrClaims.TokenId, link.Id),
            new(OkrClaims.Wall, link.WallScope!),
            new(ClaimTypes.Name, link.Name),
            new(ClaimTypes.NameIdentifier, $"wall:{link.Id}"),
        ], SchemeName, ClaimTypes.Name, ClaimTypes.Role));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => AccessProblems.WriteUnauthenticatedAsync(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AccessProblems.WriteForbiddenAsync(Context, null);
}

/// <summary>
/// Where anonymous access is on (<see cref="AnonymousOptions"/>), a request without any credential is "Anonymous" with
/// the configured role. Off by default; roles that change anything only on a demo database.
/// </summary>
public sealed class AnonymousHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<AuthOptions> auth)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Anonymous";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var settings = auth.Value.Anonymous;
        if (!settings.Enabled) return Task.FromResult(AuthenticateResult.NoResult());
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new(OkrClaims.Kind, OkrClaims.KindAnonymous),
            new(ClaimTypes.Name, "Anonymous"),
            new(ClaimTypes.NameIdentifier, "anonymous"),
            new(OkrClaims.Role, Roles.Name(settings.Role)),
            new(OkrClaims.Scope, Roles.Name(Permissions.MaxScope(settings.Role))),
        ], SchemeName, ClaimTypes.Name, ClaimTypes.Role));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
