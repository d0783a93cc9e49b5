using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace OkrGrid.Web.Access;

/// <summary>
/// Who may use this host and how they prove it: a session cookie for the pages and the hub (local accounts through
/// ASP.NET Core Identity on our tables, or OpenID Connect), bearer tokens for the API, wall links for a TV; the
/// policies of the API; the cross-site guard; and the key ring that all web hosts share.
/// </summary>
public static class AccessServices
{
    /// <summary>The default scheme: it hands each request to the one its credential belongs to.</summary>
    public const string Scheme = "OkrGrid";

    public const string SessionCookie = "okrgrid.session";

    public static WebApplicationBuilder AddOkrGridAccess(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection(AuthOptions.SectionName);
        services.Configure<AuthOptions>(section);
        services.Configure<CrossSiteOptions>(o => o.AllowedOrigins = section.Get<AuthOptions>()?.AllowedOrigins ?? []);
        var auth = section.Get<AuthOptions>() ?? new AuthOptions();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DatabaseMode>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<UserDirectory>();
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<ActorResolver>();
        services.AddScoped<AccountAdmin>();
        services.AddScoped<TokenAdmin>();
        services.AddScoped<CurrentUser>();
        services.AddSingleton<AuditQueries>();
        services.AddHostedService<AccessBootstrap>();

        // Identity on our own store: password hashing and rules, lockout, security stamps, external logins.
        services.AddIdentityCore<OkrUser>(o =>
            {
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                o.User.RequireUniqueEmail = false;
            })
            .AddUserStore<UserStore>()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<OkrUserClaimsFactory>()
            .AddDefaultTokenProviders();
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromSeconds(30));
        services.AddTransient<IClaimsTransformation, OkrClaimsTransformation>();

        var authentication = services.AddAuthentication(o =>
            {
                o.DefaultScheme = Scheme;
                o.DefaultChallengeScheme = Scheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddPolicyScheme(Scheme, "OkrGrid", o =>
            {
                o.ForwardDefaultSelector = context => SchemeOf(context, auth.Anonymous.Enabled);
                // A page that needs a sign-in redirects to the sign-in page; the API and the hub answer 401 with a reason.
                o.ForwardChallenge = null;
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, WallLinkHandler>(WallLinkHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, AnonymousHandler>(AnonymousHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, ScrapeTokenHandler>(ScrapeTokenHandler.SchemeName, null);
        authentication.AddIdentityCookies(cookies =>
        {
            cookies.ApplicationCookie?.Configure(o =>
            {
                o.Cookie.Name = SessionCookie;
                o.Cookie.HttpOnly = true;
                // Lax: an OpenID Connect provider's redirect back is a cross-site navigation that must carry it; other
                // sites' POSTs do not (and the request guard refuses foreign origins anyway).
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = auth.SessionLifetime;
                o.SlidingExpiration = true;
                o.LoginPath = AccountEndpoints.LoginPath;
                o.AccessDeniedPath = AccountEndpoints.DeniedPath;
                o.Events.OnRedirectToLogin = context => AccessProblems.IsMachinePath(context.Request.Path)
                    ? AccessProblems.WriteUnauthenticatedAsync(context.HttpContext)
                    : Redirect(context);
                o.Events.OnRedirectToAccessDenied = context => AccessProblems.IsMachinePath(context.Request.Path)
                    ? AccessProblems.WriteForbiddenAsync(context.HttpContext, null)
                    : Redirect(context);
            });
        });
        if (auth.Oidc.Enabled)
        {
            authentication.AddOpenIdConnect(AccountEndpoints.ExternalScheme, auth.Oidc.DisplayName, o =>
            {
                o.SignInScheme = IdentityConstants.ExternalScheme;
                o.Authority = auth.Oidc.Authority;
                o.ClientId = auth.Oidc.ClientId;
                o.ClientSecret = auth.Oidc.ClientSecret;
                o.ResponseType = "code";
                o.UsePkce = true;
                o.RequireHttpsMetadata = auth.Oidc.RequireHttpsMetadata;
                o.GetClaimsFromUserInfoEndpoint = true;
                o.MapInboundClaims = false;
                o.SaveTokens = false;
                o.Scope.Clear();
                o.Scope.Add("openid");
                foreach (var scope in auth.Oidc.Scopes) o.Scope.Add(scope);
                o.CallbackPath = "/signin-oidc";
                o.SignedOutCallbackPath = "/signout-callback-oidc";
                // The code comes back in the address (a top-level GET): the correlation and nonce cookies can then be
                // SameSite=Lax and need no HTTPS, where a form post from the provider's site would need SameSite=None
                // and Secure. PKCE protects the code in the address.
                o.ResponseMode = Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectResponseMode.Query;
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            });
        }

        services.AddAuthorizationBuilder().AddOkrGridPolicies();
        services.AddSingleton<IAuthorizationHandler, OkrAccessHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AccessResultHandler>();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAccessStateProvider>();
        services.AddAntiforgery(o =>
        {
            o.HeaderName = RequestGuard.CsrfHeader;
            o.Cookie.Name = "okrgrid.antiforgery";
        });

        // Every web host reads and writes the same key ring, in PostgreSQL.
        services.AddDataProtection().SetApplicationName("okrgrid");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new PostgresXmlRepository(sp.GetRequiredService<NpgsqlDataSource>())));
        return builder;
    }

    /// <summary>The guard and the authentication middleware, after routing (so policies see their endpoint).</summary>
    public static WebApplication UseOkrGridAccess(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseMiddleware<RequestGuard>();
        app.UseAuthorization();
        return app;
    }

    /// <summary>The scheme of a request's credential: a bearer token, a wall link on the hub, else the session cookie.</summary>
    private static string SchemeOf(HttpContext context, bool anonymous)
    {
        var request = context.Request;
        // Health probes need no one: a credential a caller happens to send is not checked (checking a token can need
        // the database, and /healthz/live must answer while the database is down).
        if (request.Path.StartsWithSegments("/healthz")) return AnonymousHandler.SchemeName;
        // A data source's ingest URL checks its own token (okri_…), which is no OkrGrid credential.
        if (request.Path.StartsWithSegments("/api/ingest")) return AnonymousHandler.SchemeName;
        // /metrics with a bearer that is not an OkrGrid token: a scraper's secret (an admin's okrp_/okrs_ token goes on as usual).
        if (ScrapeTokenHandler.Presented(request) is not null) return ScrapeTokenHandler.SchemeName;
        if (request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return BearerTokenHandler.SchemeName;
        if (request.Path.StartsWithSegments(ScorecardHub.Path))
        {
            if (request.Query.ContainsKey("access_token")) return BearerTokenHandler.SchemeName;
            if (request.Query.ContainsKey(WallLinkHandler.QueryKey)) return WallLinkHandler.SchemeName;
        }
        // No credential at all: anonymous, where it is on (a session cookie, even an expired one, goes to its own scheme).
        if (anonymous && !request.Cookies.ContainsKey(SessionCookie)) return AnonymousHandler.SchemeName;
        return IdentityConstants.ApplicationScheme;
    }

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
