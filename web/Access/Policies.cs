using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// The authorization policies of the API and the hub, by what a request needs: a token scope at least, a role at
/// least, and whether a wall link or a service may use it. What a request may do to one node (whose it is) is decided
/// by the engine with <see cref="Permissions"/>; these decide whether it may ask at all.
/// </summary>
public static class Policies
{
    /// <summary>GET anything of the company: any signed-in person or token (not a wall link).</summary>
    public const string Read = "okr.read";
    /// <summary>Check-ins and measurements: members and above, with the check-in scope.</summary>
    public const string CheckIn = "okr.checkIn";
    /// <summary>Objectives, key results, KPIs: members and above, with the write scope (the engine checks ownership).</summary>
    public const string Write = "okr.write";
    /// <summary>Planner scenarios: leads and admins, with the write scope.</summary>
    public const string Plan = "okr.plan";
    /// <summary>Cycles, teams, people, accounts, service tokens, the audit trail: admins with the admin scope.</summary>
    public const string Admin = "okr.admin";
    /// <summary>One's own account and personal tokens: a person's session (or an admin-scope personal token).</summary>
    public const string Account = "okr.account";
    /// <summary>Wall links: leads (for their teams) and admins, in a session or with the admin scope.</summary>
    public const string Share = "okr.share";
    /// <summary>The hub: anyone signed in, and wall links (which may follow their scorecard only).</summary>
    public const string Hub = "okr.hub";
    /// <summary>
    /// /metrics: admins with the admin scope (a person looking), or a scraper with the host's scrape token
    /// (Telemetry:ScrapeToken) — a Prometheus needs no account, and its secret opens nothing else.
    /// </summary>
    public const string Metrics = "okr.metrics";

    public static AuthorizationBuilder AddOkrGridPolicies(this AuthorizationBuilder builder) => builder
        .AddPolicy(Read, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.Read, Role.Viewer)))
        .AddPolicy(CheckIn, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.CheckIn, Role.Member)))
        .AddPolicy(Write, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.Write, Role.Member)))
        .AddPolicy(Plan, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.Write, Role.Lead)))
        .AddPolicy(Admin, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.Admin, Role.Admin)))
        .AddPolicy(Account, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.Admin, Role.Viewer, PeopleOnly: true)))
        .AddPolicy(Share, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.Admin, Role.Lead)))
        .AddPolicy(Hub, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.Read, Role.Viewer, WallLinks: true)))
        .AddPolicy(Metrics, p => p.AddRequirements(new OkrAccessRequirement(AccessScope.Admin, Role.Admin, Scrapers: true)));
}

/// <param name="PeopleOnly">Only a person (a session or personal token), not a service token.</param>
/// <param name="WallLinks">A wall link may pass too (it reads its own scorecard only; the hub checks which).</param>
/// <param name="Scrapers">A metrics scraper with the scrape token may pass too.</param>
public sealed record OkrAccessRequirement(AccessScope Scope, Role Role, bool PeopleOnly = false, bool WallLinks = false, bool Scrapers = false) : IAuthorizationRequirement;

public sealed class OkrAccessHandler : AuthorizationHandler<OkrAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OkrAccessRequirement need)
    {
        var user = context.User;
        var kind = user.Get(OkrClaims.Kind);
        if (kind is null) return Task.CompletedTask; // not signed in: a challenge (401), not a refusal
        string? refusal = kind switch
        {
            OkrClaims.KindWall when need.WallLinks => null,
            OkrClaims.KindWall => "A wall link reads its scorecard on /wall and on the hub; nothing else.",
            OkrClaims.KindScraper when need.Scrapers => null,
            OkrClaims.KindScraper => "A scrape token reads /metrics; nothing else.",
            OkrClaims.KindService when need.PeopleOnly => "This is for a person's own account; a service token cannot use it.",
            OkrClaims.KindAnonymous when need.PeopleOnly => "This is for a person's own account: sign in.",
            _ => Check(user, need),
        };
        if (refusal is null) context.Succeed(need);
        else context.Fail(new AuthorizationFailureReason(this, refusal));
        return Task.CompletedTask;
    }

    private static string? Check(System.Security.Claims.ClaimsPrincipal user, OkrAccessRequirement need)
    {
        var role = OkrClaims.RoleOf(user) ?? Role.Viewer;
        var scope = OkrClaims.ScopeOf(user) ?? AccessScope.Read;
        var who = user.Identity?.Name ?? "This caller";
        if (scope < need.Scope)
            return $"This needs a token with the {Roles.Name(need.Scope)} scope; this one has {Roles.Name(scope)}.";
        if (role < need.Role)
            return $"This needs the {Roles.Describe(need.Role)} role; {who} is a {Roles.Describe(role)}.";
        return null;
    }
}

/// <summary>
/// Refusals of the API and the hub as ProblemDetails (401 not signed in or a bad token, 403 not allowed, each naming
/// the field and the reason); the pages keep the usual redirects to the sign-in and access-denied pages.
/// </summary>
public sealed class AccessResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        // Pages keep their redirects; a caller with a bearer token (a script, the dashboard's JSON read by one) is told why.
        if (!AccessProblems.IsMachinePath(context.Request.Path) && BearerTokenHandler.Presented(context.Request) is null)
            return _default.HandleAsync(next, context, policy, authorizeResult);
        if (authorizeResult.Challenged) return AccessProblems.WriteUnauthenticatedAsync(context);
        if (authorizeResult.Forbidden)
        {
            var reason = authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message).FirstOrDefault();
            return AccessProblems.WriteForbiddenAsync(context, reason);
        }
        return next(context);
    }
}

/// <summary>The bodies of 401 and 403 answers.</summary>
public static class AccessProblems
{
    private const string FailureKey = "okr.authenticationFailure";

    public static bool IsMachinePath(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/openapi")
        || path.StartsWithSegments(ScrapeTokenHandler.MetricsPath);

    /// <summary>Keeps why a presented credential failed, for the 401 that follows.</summary>
    public static void RememberAuthenticationFailure(HttpContext context, string field, string reason) =>
        context.Items[FailureKey] = (field, reason);

    public static async Task WriteUnauthenticatedAsync(HttpContext context)
    {
        if (context.Response.HasStarted) return;
        var (field, reason) = context.Items[FailureKey] is ValueTuple<string, string> failure ? failure
            : ("Authorization", "Sign in, or send an API token as 'Authorization: Bearer okrp_…'.");
        context.Response.Headers.WWWAuthenticate = context.Items.ContainsKey(FailureKey)
            ? $"Bearer error=\"invalid_token\", error_description=\"{Ascii(reason)}\""
            : "Bearer";
        await OkrProblems.Problem(StatusCodes.Status401Unauthorized, "Not signed in", field, reason).ExecuteAsync(context);
    }

    /// <summary>Header values are ASCII: anything else (a name with accents) becomes '?', quotes become apostrophes.</summary>
    private static string Ascii(string text) => string.Concat(text.Select(c => c == '"' ? '\'' : c is >= ' ' and <= '~' ? c : '?'));

    public static Task WriteForbiddenAsync(HttpContext context, string? reason) =>
        context.Response.HasStarted ? Task.CompletedTask
            : OkrProblems.Problem(StatusCodes.Status403Forbidden, "Forbidden", "Authorization", reason ?? "This caller may not do this.").ExecuteAsync(context);
}
