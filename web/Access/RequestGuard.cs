using Microsoft.AspNetCore.Antiforgery;

namespace OkrGrid.Web.Access;

/// <summary>The "Auth" section's cross-site settings.</summary>
public sealed class CrossSiteOptions
{
    /// <summary>Other origins (scheme://host[:port]) allowed to send unsafe requests and open the hub, e.g. a portal embedding a wall.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

/// <summary>
/// Keeps other sites out. (1) A request that changes something (any method but GET/HEAD/OPTIONS), and any request to
/// the hub, from a browser on another origin — its Origin header, or Sec-Fetch-Site: cross-site — is refused: that is
/// how a page elsewhere would use a signed-in browser's cookie. (2) An API request that changes something and is
/// authenticated by the session cookie must also carry the antiforgery token (X-CSRF-TOKEN, from GET
/// /api/antiforgery), which another site cannot read; bearer tokens are never sent by a browser on its own, so they
/// need none. (3) Security headers on every response, and no caching of API answers.
/// </summary>
public sealed class RequestGuard(RequestDelegate next, IAntiforgery antiforgery, IOptions<CrossSiteOptions> options)
{
    public const string CsrfHeader = "X-CSRF-TOKEN";

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        // A wall link in the address must not leak to other sites. (Not "no-referrer": with it browsers send "Origin: null"
        // on the site's own form posts, which the cross-site rule below refuses.)
        headers["Referrer-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
        if (AccessProblems.IsMachinePath(request.Path))
        {
            headers.CacheControl = "no-store";
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
        }

        var unsafeMethod = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        if ((unsafeMethod || request.Path.StartsWithSegments(ScorecardHub.Path)) && CrossSite(request) is { } origin)
        {
            await OkrProblems.Problem(StatusCodes.Status403Forbidden, "Cross-site request refused", "Origin",
                $"requests from '{origin}' may not change anything here or open the hub (allow it in Auth:AllowedOrigins).").ExecuteAsync(context);
            return;
        }
        if (unsafeMethod && request.Path.StartsWithSegments("/api") && context.User.Identity?.IsAuthenticated == true
            && context.User.Get(OkrClaims.TokenId) is null && context.User.Get(OkrClaims.Kind) == OkrClaims.KindUser)
        {
            try { await antiforgery.ValidateRequestAsync(context); }
            catch (AntiforgeryValidationException)
            {
                await OkrProblems.Problem(StatusCodes.Status403Forbidden, "Antiforgery token missing or invalid", CsrfHeader,
                    $"a change made with the session cookie needs the {CsrfHeader} header from GET /api/antiforgery (or use a bearer token).").ExecuteAsync(context);
                return;
            }
        }
        await next(context);
    }

    /// <summary>The foreign origin of a browser request, or null when it is same-origin (or not from a browser).</summary>
    private string? CrossSite(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            var own = $"{request.Scheme}://{request.Host}";
            if (string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)) return null;
            return options.Value.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase)) ? null : origin;
        }
        // No Origin (older browsers on some same-origin requests): the fetch metadata still tells a cross-site one.
        return request.Headers["Sec-Fetch-Site"].ToString() == "cross-site" ? "another site" : null;
    }
}
