using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// Signing in and out: the forms of the sign-in, setup and password pages post here (with their antiforgery token),
/// and each answers with a redirect — back to the page with <c>?error=</c>, or on to where the person was going.
/// </summary>
public static class AccountEndpoints
{
    public const string LoginPath = "/account/login";
    public const string SetupPath = "/account/setup";
    public const string DeniedPath = "/account/denied";
    /// <summary>The OpenID Connect scheme, and the provider name external sign-ins are linked under.</summary>
    public const string ExternalScheme = "oidc";

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").AllowAnonymous().ExcludeFromDescription();
        account.MapPost("/login", LoginAsync);
        account.MapPost("/demo", DemoLoginAsync);
        account.MapPost("/logout", LogoutAsync);
        account.MapGet("/external", External);
        account.MapGet("/external/callback", ExternalCallbackAsync);
        account.MapPost("/setup", SetupAsync);
        // Not in the anonymous group above: [AllowAnonymous] there would win over this policy.
        app.MapPost("/account/password", ChangePasswordAsync).RequireAuthorization(Policies.Account).ExcludeFromDescription();
        return app;
    }

    /// <summary><c>/api/me</c> and <c>/api/antiforgery</c>, in the API's group.</summary>
    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/").WithTags("Account").WithOkrProblems();
        group.MapGet("/me", Me).WithName("GetMe");
        group.MapGet("/antiforgery", Antiforgery).WithName("GetAntiforgeryToken").RequireAuthorization(Policies.Account);
        return api;
    }

    private static async Task<IResult> LoginAsync(
        [FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl,
        SignInManager<OkrUser> signIn, UserStore store, NpgsqlDataSource dataSource, TimeProvider time, HttpContext context)
    {
        var back = Local(returnUrl);
        var name = (userName ?? "").Trim();
        if (name.Length == 0 || string.IsNullOrEmpty(password)) return Back(LoginPath, "missing", back);
        var user = name.Length <= Check.MaxName ? await store.FindByNameAsync(signIn.UserManager.NormalizeName(name), context.RequestAborted) : null;
        string? failure = user switch
        {
            null => "unknown user",
            { Disabled: true } => "account disabled",
            { PasswordHash: null } => "account has no password (it signs in through single sign-on or the demo)",
            _ => null,
        };
        if (failure is null)
        {
            var result = await signIn.PasswordSignInAsync(user!, password, isPersistent: true, lockoutOnFailure: true);
            if (result.Succeeded)
            {
                await AuditSignInAsync(dataSource, time, user!.Id, user.DisplayName, "password", AuditActions.SignIn, null, context.RequestAborted);
                return Results.LocalRedirect(back);
            }
            failure = result.IsLockedOut ? "locked out after repeated failures" : "wrong password";
        }
        await AuditSignInAsync(dataSource, time, "anonymous", name.Length > Check.MaxName ? name[..Check.MaxName] : name, "password",
            AuditActions.SignInFailed, new { reason = failure, userId = user?.Id }, context.RequestAborted);
        // One answer for unknown user and wrong password: the page must not tell which accounts exist.
        return Back(LoginPath, failure.StartsWith("locked", StringComparison.Ordinal) ? "locked" : "invalid", back);
    }

    private static async Task<IResult> DemoLoginAsync([FromForm] string? userId, [FromForm] string? returnUrl,
        DatabaseMode mode, UserStore store, SignInManager<OkrUser> signIn, NpgsqlDataSource dataSource, TimeProvider time, HttpContext context)
    {
        // Only a demo database has this: a production database never had its mode set to demo (see DatabaseMode).
        if (!mode.IsDemo) return Results.NotFound();
        if (string.IsNullOrEmpty(userId) || await store.FindByIdAsync(userId, context.RequestAborted) is not { Disabled: false } user)
            return Back(LoginPath, "demo", Local(returnUrl));
        await signIn.SignInAsync(user, isPersistent: true);
        await AuditSignInAsync(dataSource, time, user.Id, user.DisplayName, "demo", AuditActions.SignIn, null, context.RequestAborted);
        return Results.LocalRedirect(Local(returnUrl));
    }

    private static async Task<IResult> LogoutAsync(SignInManager<OkrUser> signIn)
    {
        await signIn.SignOutAsync();
        return Results.LocalRedirect(LoginPath + "?signedOut=1");
    }

    private static IResult External(string? returnUrl, IOptions<AuthOptions> options, SignInManager<OkrUser> signIn)
    {
        if (!options.Value.Oidc.Enabled) return Results.NotFound();
        var properties = signIn.ConfigureExternalAuthenticationProperties(ExternalScheme,
            $"/account/external/callback?returnUrl={Uri.EscapeDataString(Local(returnUrl))}");
        return Results.Challenge(properties, [ExternalScheme]);
    }

    private static async Task<IResult> ExternalCallbackAsync(string? returnUrl, SignInManager<OkrUser> signIn, AccountAdmin accounts,
        IOptions<AuthOptions> options, NpgsqlDataSource dataSource, TimeProvider time, HttpContext context)
    {
        var back = Local(returnUrl);
        var info = await signIn.GetExternalLoginInfoAsync();
        if (info is null) return Back(LoginPath, "external", back);
        var p = info.Principal;
        var email = p.FindFirstValue(ClaimTypes.Email) ?? p.FindFirstValue("email");
        var verified = string.Equals(p.FindFirstValue("email_verified"), "true", StringComparison.OrdinalIgnoreCase);
        var name = p.FindFirstValue("name") ?? p.FindFirstValue(ClaimTypes.Name) ?? p.FindFirstValue("preferred_username");
        var user = await accounts.ExternalAsync(info.LoginProvider, info.ProviderKey, email, verified, name, options.Value.Oidc, context.RequestAborted);
        await context.SignOutAsync(IdentityConstants.ExternalScheme);
        if (user is null || user.Disabled)
        {
            await AuditSignInAsync(dataSource, time, "anonymous", email ?? name ?? info.ProviderKey, "oidc", AuditActions.SignInFailed,
                new { reason = user is null ? "no account (automatic accounts are off)" : "account disabled", subject = info.ProviderKey }, context.RequestAborted);
            return Back(LoginPath, user is null ? "noaccount" : "invalid", back);
        }
        await signIn.SignInAsync(user, isPersistent: true, ExternalScheme);
        await AuditSignInAsync(dataSource, time, user.Id, user.DisplayName, "oidc", AuditActions.SignIn, null, context.RequestAborted);
        return Results.LocalRedirect(back);
    }

    private static async Task<IResult> SetupAsync([FromForm] string? token, [FromForm] string? userName, [FromForm] string? displayName,
        [FromForm] string? password, AccountAdmin accounts, SignInManager<OkrUser> signIn, NpgsqlDataSource dataSource, HttpContext context)
    {
        if (!await AccessBootstrap.SetupTokenValidAsync(dataSource, token, context.RequestAborted)) return Back(SetupPath, "token", "/");
        try
        {
            var user = await accounts.CreateFirstAdminAsync(new NewUser(userName ?? "", displayName ?? userName ?? "", null, password, Role.Admin, null),
                "setup", context.RequestAborted);
            await AccessBootstrap.ForgetSetupTokenAsync(dataSource, context.RequestAborted);
            await signIn.SignInAsync(user, isPersistent: true);
            return Results.LocalRedirect("/");
        }
        catch (OkrRejectedException e)
        {
            return Results.LocalRedirect($"{SetupPath}?token={Uri.EscapeDataString(token!)}&field={Uri.EscapeDataString(e.Field)}&reason={Uri.EscapeDataString(e.Reason)}");
        }
    }

    private static async Task<IResult> ChangePasswordAsync([FromForm] string? currentPassword, [FromForm] string? newPassword,
        UserManager<OkrUser> users, SignInManager<OkrUser> signIn, HttpContext context)
    {
        var user = await users.GetUserAsync(context.User);
        if (user is null) return Results.LocalRedirect(LoginPath);
        var result = user.PasswordHash is null
            ? IdentityResult.Failed(new IdentityError { Description = "This account signs in through single sign-on; it has no password here." })
            : await users.ChangePasswordAsync(user, currentPassword ?? "", newPassword ?? "");
        if (!result.Succeeded)
            return Results.LocalRedirect($"/account?passwordError={Uri.EscapeDataString(string.Join(" ", result.Errors.Select(e => e.Description)))}");
        await signIn.RefreshSignInAsync(user);
        return Results.LocalRedirect("/account?passwordChanged=1");
    }

    /// <summary>Who is asking: for a client to show its user, and for a script to check its token.</summary>
    private static async Task<Ok<MeView>> Me(HttpContext context, ActorResolver actors)
    {
        var p = context.User;
        var actor = await actors.ResolveAsync(p, "api", context.RequestAborted)
            ?? throw OkrRejectedException.Forbidden("Authorization", "this account is disabled.");
        return TypedResults.Ok(new MeView(p.Get(OkrClaims.Kind)!, actor.Id, actor.Name, actor.PersonId, actor.Role, actor.Scope, actor.TeamId,
            p.Get(OkrClaims.TokenId)));
    }

    /// <summary>The antiforgery token a browser script sends as X-CSRF-TOKEN with changes made through the session cookie.</summary>
    private static Ok<AntiforgeryView> Antiforgery(IAntiforgery antiforgery, HttpContext context) =>
        TypedResults.Ok(new AntiforgeryView(RequestGuard.CsrfHeader, antiforgery.GetAndStoreTokens(context).RequestToken!));

    private static async Task AuditSignInAsync(NpgsqlDataSource dataSource, TimeProvider time, string actorId, string actorName, string via,
        string action, object? detail, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await AuditWriter.WriteAsync(connection, null, time.GetUtcNow(), actorId == "anonymous" ? actorId : $"user:{actorId}", actorName, via, action,
            actorId == "anonymous" ? null : actorId, null, detail, ct);
    }

    /// <summary>Only addresses of this site: a return URL pointing elsewhere (an open redirect) becomes the home page.</summary>
    public static string Local(string? url) =>
        url is { Length: > 0 and < 2000 } u && u[0] == '/' && (u.Length == 1 || u[1] is not ('/' or '\\')) && !u.Contains('\\') ? u : "/";

    private static IResult Back(string page, string error, string returnUrl) =>
        Results.LocalRedirect($"{page}?error={error}&returnUrl={Uri.EscapeDataString(returnUrl)}");
}

/// <summary>The caller as <c>GET /api/me</c> shows it.</summary>
public sealed record MeView(string Kind, string Id, string Name, string? PersonId, Role Role, AccessScope Scope, string? TeamId, string? TokenId);

public sealed record AntiforgeryView(string HeaderName, string Token);
