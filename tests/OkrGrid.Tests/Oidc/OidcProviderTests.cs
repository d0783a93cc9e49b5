using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Web;
using Microsoft.Playwright;
using OkrGrid.Tests.Browser;

namespace OkrGrid.Tests.Oidc;

/// <summary>One provider for the test class; its client sends codes to an address where nothing listens.</summary>
public sealed class OidcProviderFixture : IAsyncLifetime
{
    /// <summary>Never requested: the flow stops at the redirect and reads the code from its Location.</summary>
    public static readonly Uri Callback = new("http://127.0.0.1:9/signin-oidc");

    public OidcProvider Provider { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Provider = await OidcProvider.StartAsync(new() { RedirectUris = [Callback] }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Provider is not null) await Provider.DisposeAsync();
    }
}

/// <summary>
/// The test provider is a real OpenID provider: it publishes discovery and keys, runs the authorization-code flow
/// with PKCE through its login form (driven here by a bare HttpClient, as a browser without JavaScript would), signs
/// id_tokens that carry the account's claims, serves userinfo — and refuses a wrong password or a wrong verifier.
/// </summary>
public sealed partial class OidcProviderTests(OidcProviderFixture fixture) : IClassFixture<OidcProviderFixture>
{
    private OidcProvider Provider => fixture.Provider;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DiscoveryNamesTheIssuerAndItsEndpoints()
    {
        using var http = new HttpClient();
        var discovery = await DiscoveryAsync(http);
        var issuer = Provider.Issuer.OriginalString;

        Assert.Equal(issuer, (string?)discovery["issuer"]);
        foreach (var endpoint in new[] { "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint" })
            Assert.StartsWith(issuer + "/", (string?)discovery[endpoint]);
        Assert.Contains("code", Strings(discovery["response_types_supported"]));
        Assert.Contains("S256", Strings(discovery["code_challenge_methods_supported"]));
        Assert.Contains("client_secret_post", Strings(discovery["token_endpoint_auth_methods_supported"]));
        Assert.Superset(new HashSet<string> { "openid", "profile", "email" }, Strings(discovery["scopes_supported"]).ToHashSet());
        Assert.Superset(new HashSet<string> { "sub", "email", "email_verified", "name", "preferred_username" },
            Strings(discovery["claims_supported"]).ToHashSet());

        var jwks = (await http.GetFromJsonAsync<JsonObject>((string)discovery["jwks_uri"]!, Ct))!;
        var key = Assert.Single(jwks["keys"]!.AsArray())!;
        Assert.Equal("RSA", (string?)key["kty"]);
        Assert.Null(key["d"]); // the public half only
    }

    [Fact]
    public async Task AuthorizationCodeFlowWithPkceSignsInAndIssuesTokensForTheAccount()
    {
        var account = OidcAccount.Bob;
        using var browser = Browser();
        using var http = new HttpClient();
        var discovery = await DiscoveryAsync(http);
        var request = AuthorizationRequest.Create();

        var (formPage, form) = await OpenLoginFormAsync(browser, request.Url(discovery, Provider.ClientId));
        using var signedIn = await SubmitAsync(browser, formPage, form, ("login", account.PreferredUsername), ("password", account.Password));
        var callback = await FollowToCallbackAsync(browser, signedIn);

        var query = HttpUtility.ParseQueryString(callback.Query);
        Assert.Equal(request.State, query["state"]);
        Assert.Equal(Provider.Issuer.OriginalString, query["iss"]); // RFC 9207
        var code = query["code"];
        Assert.False(string.IsNullOrEmpty(code), $"no code in {callback}");

        var tokens = await RedeemAsync(http, discovery, code, request.Verifier);
        Assert.Equal("Bearer", (string?)tokens["token_type"]);

        // The id_token: signed with the published key, for this client, carrying the account's claims.
        var idToken = (string)tokens["id_token"]!;
        var claims = await VerifiedPayloadAsync(http, discovery, idToken);
        Assert.Equal(Provider.Issuer.OriginalString, (string?)claims["iss"]);
        Assert.Equal(Provider.ClientId, (string?)claims["aud"]);
        Assert.Equal(request.Nonce, (string?)claims["nonce"]);
        Assert.Equal(account.Sub, (string?)claims["sub"]);
        Assert.Equal(account.Email, (string?)claims["email"]);
        Assert.True((bool)claims["email_verified"]!);
        Assert.Equal(account.Name, (string?)claims["name"]);
        Assert.Equal(account.PreferredUsername, (string?)claims["preferred_username"]);
        Assert.Null(claims["password"]);
        Assert.True((long)claims["exp"]! > DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        using var userinfoRequest = new HttpRequestMessage(HttpMethod.Get, (string)discovery["userinfo_endpoint"]!);
        userinfoRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (string)tokens["access_token"]!);
        using var userinfoResponse = await http.SendAsync(userinfoRequest, Ct);
        Assert.Equal(HttpStatusCode.OK, userinfoResponse.StatusCode);
        var userinfo = (await userinfoResponse.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Equal(account.Sub, (string?)userinfo["sub"]);
        Assert.Equal(account.Email, (string?)userinfo["email"]);
        Assert.Equal(account.Name, (string?)userinfo["name"]);

        // A code is good once.
        using var replay = await TokenRequestAsync(http, discovery, code, request.Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedAndTheFormOffersAnotherTry()
    {
        var account = OidcAccount.Alice;
        using var browser = Browser();
        using var http = new HttpClient();
        var discovery = await DiscoveryAsync(http);
        var request = AuthorizationRequest.Create();
        var (formPage, form) = await OpenLoginFormAsync(browser, request.Url(discovery, Provider.ClientId));

        foreach (var (login, password) in new[] { (account.PreferredUsername, "not-" + account.Password), ("nobody", account.Password), (account.PreferredUsername, "") })
        {
            using var refused = await SubmitAsync(browser, formPage, form, ("login", login), ("password", password));
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode); // the form again, not a redirect
            Assert.Null(refused.Headers.Location);
            var page = await refused.Content.ReadAsStringAsync(Ct);
            Assert.Contains("Invalid user name or password", page);
            Assert.Contains("name=\"password\"", page);
        }

        // The interaction is still open: the right password (by e-mail this time) finishes it.
        using var signedIn = await SubmitAsync(browser, formPage, form, ("login", account.Email), ("password", account.Password));
        var code = HttpUtility.ParseQueryString((await FollowToCallbackAsync(browser, signedIn)).Query)["code"];
        var tokens = await RedeemAsync(http, discovery, code, request.Verifier);
        Assert.Equal(account.Sub, (string?)(await VerifiedPayloadAsync(http, discovery, (string)tokens["id_token"]!))["sub"]);
    }

    [Fact]
    public async Task ACodeIsRedeemedOnlyWithItsPkceVerifierAndTheClientSecret()
    {
        using var browser = Browser();
        using var http = new HttpClient();
        var discovery = await DiscoveryAsync(http);
        var request = AuthorizationRequest.Create();
        var (formPage, form) = await OpenLoginFormAsync(browser, request.Url(discovery, Provider.ClientId));
        using var signedIn = await SubmitAsync(browser, formPage, form, ("login", OidcAccount.Alice.PreferredUsername), ("password", OidcAccount.Alice.Password));
        var code = HttpUtility.ParseQueryString((await FollowToCallbackAsync(browser, signedIn)).Query)["code"];

        using (var wrongSecret = await TokenRequestAsync(http, discovery, code, request.Verifier, secret: "not-the-secret"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
            Assert.Equal("invalid_client", (string?)(await wrongSecret.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]);
        }
        using (var wrongVerifier = await TokenRequestAsync(http, discovery, code, AuthorizationRequest.Create().Verifier))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongVerifier.StatusCode);
            Assert.Equal("invalid_grant", (string?)(await wrongVerifier.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]);
        }
    }

    [Fact]
    public async Task HeadlessChromiumSignsInThroughTheLoginFormWithoutJavaScript()
    {
        var account = OidcAccount.Alice;
        using var http = new HttpClient();
        var discovery = await DiscoveryAsync(http);
        var request = AuthorizationRequest.Create();

        using var playwright = await Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserHost.ChromiumPath(),
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var context = await chromium.NewContextAsync(new() { JavaScriptEnabled = false });
        var page = await context.NewPageAsync();
        // Nothing listens at the callback: the browser's request to it is answered here, and its address kept.
        var callback = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync(OidcProviderFixture.Callback.GetLeftPart(UriPartial.Authority) + "/**", route =>
        {
            callback.TrySetResult(new Uri(route.Request.Url));
            return route.FulfillAsync(new() { Status = 200, ContentType = "text/plain", Body = "signed in" });
        });

        await page.GotoAsync(request.Url(discovery, Provider.ClientId).ToString());
        await page.FillAsync("input[name=login]", account.PreferredUsername);
        await page.FillAsync("input[name=password]", "not-" + account.Password);
        await page.ClickAsync("button[type=submit]");
        await page.Locator(".error").WaitForAsync(); // refused, on the form again
        await page.FillAsync("input[name=password]", account.Password);
        await page.ClickAsync("button[type=submit]");
        var landed = await callback.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var query = HttpUtility.ParseQueryString(landed.Query);
        Assert.Equal(request.State, query["state"]);
        var tokens = await RedeemAsync(http, discovery, query["code"], request.Verifier);
        var claims = await VerifiedPayloadAsync(http, discovery, (string)tokens["id_token"]!);
        Assert.Equal(account.Sub, (string?)claims["sub"]);
        Assert.Equal(account.Email, (string?)claims["email"]);
    }

    [Fact]
    public async Task AProviderThatCannotStartSaysWhy()
    {
        var noPassword = OidcAccount.Alice with { Password = "" };
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            OidcProvider.StartAsync(new() { RedirectUris = [OidcProviderFixture.Callback], Accounts = [noPassword] }, Ct));
        Assert.Contains("exited with code 2", failure.Message);
        Assert.Contains($"account {noPassword.Sub} needs a \"password\"", failure.Message);
    }

    // ---- The flow, step by step ------------------------------------------------------------------------------

    /// <summary>A user agent: keeps the provider's cookies, and shows redirects instead of following them.</summary>
    private static HttpClient Browser() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() });

    private sealed record AuthorizationRequest(string State, string Nonce, string Verifier)
    {
        public static AuthorizationRequest Create() => new(Random(), Random(), Random());

        /// <summary>32 random bytes, base64url: 43 characters, a valid PKCE verifier.</summary>
        private static string Random() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

        public Uri Url(JsonObject discovery, string clientId)
        {
            var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));
            var query = string.Join("&", new Dictionary<string, string>
            {
                ["client_id"] = clientId,
                ["response_type"] = "code",
                ["scope"] = "openid profile email",
                ["redirect_uri"] = OidcProviderFixture.Callback.OriginalString,
                ["state"] = State,
                ["nonce"] = Nonce,
                ["code_challenge"] = challenge,
                ["code_challenge_method"] = "S256",
            }.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
            return new Uri($"{(string)discovery["authorization_endpoint"]!}?{query}");
        }
    }

    private async Task<JsonObject> DiscoveryAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonObject>(new Uri(Provider.Issuer, ".well-known/openid-configuration"), Ct))!;

    /// <summary>Follows the authorization request's redirects to the login form.</summary>
    private async Task<(Uri Page, string Html)> OpenLoginFormAsync(HttpClient browser, Uri authorize)
    {
        var url = authorize;
        for (var hops = 0; hops < 5; hops++)
        {
            using var response = await browser.GetAsync(url, Ct);
            if (response.Headers.Location is { } location) { url = new Uri(url, location); continue; }
            var html = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode}\n{html}\n{Provider.Output}");
            Assert.Contains("name=\"login\"", html);
            Assert.Contains("name=\"password\"", html);
            return (url, html);
        }
        throw new InvalidOperationException($"too many redirects from {authorize}");
    }

    /// <summary>Posts the page's (first) form, as a browser would on submit.</summary>
    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, Uri page, string html, params (string Name, string Value)[] fields)
    {
        var action = FormAction().Match(html);
        Assert.True(action.Success, $"no form on {page}:\n{html}");
        var target = new Uri(page, WebUtility.HtmlDecode(action.Groups[1].Value));
        using var content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));
        return await browser.PostAsync(target, content, Ct);
    }

    /// <summary>
    /// From the login form's answer to the redirect to the client: follows the provider's own redirects, confirms a
    /// consent page if one is shown, and stops at the callback (nothing listens there) to return its address.
    /// </summary>
    private async Task<Uri> FollowToCallbackAsync(HttpClient browser, HttpResponseMessage response)
    {
        var url = response.RequestMessage!.RequestUri!;
        var current = response;
        try
        {
            for (var hops = 0; hops < 10; hops++)
            {
                if (current.Headers.Location is { } location)
                {
                    var next = new Uri(url, location);
                    if (next.GetLeftPart(UriPartial.Path) == OidcProviderFixture.Callback.OriginalString) return next;
                    url = next;
                    if (!ReferenceEquals(current, response)) current.Dispose();
                    current = await browser.GetAsync(url, Ct);
                    continue;
                }
                var html = await current.Content.ReadAsStringAsync(Ct);
                Assert.True(current.StatusCode == HttpStatusCode.OK && FormAction().Match(html) is { Success: true } consent
                    && consent.Groups[1].Value.EndsWith("/confirm", StringComparison.Ordinal),
                    $"{url}: expected a redirect or a consent page, got {(int)current.StatusCode}:\n{html}\n{Provider.Output}");
                var confirmed = await SubmitAsync(browser, url, html);
                if (!ReferenceEquals(current, response)) current.Dispose();
                current = confirmed;
            }
            throw new InvalidOperationException("too many redirects after the login form");
        }
        finally
        {
            if (!ReferenceEquals(current, response)) current.Dispose();
        }
    }

    private async Task<HttpResponseMessage> TokenRequestAsync(HttpClient http, JsonObject discovery, string? code, string verifier, string? secret = null)
    {
        // client_secret_post, as ASP.NET Core's OpenID Connect handler sends it.
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code ?? "",
            ["redirect_uri"] = OidcProviderFixture.Callback.OriginalString,
            ["code_verifier"] = verifier,
            ["client_id"] = Provider.ClientId,
            ["client_secret"] = secret ?? Provider.ClientSecret,
        });
        return await http.PostAsync((string)discovery["token_endpoint"]!, content, Ct);
    }

    private async Task<JsonObject> RedeemAsync(HttpClient http, JsonObject discovery, string? code, string verifier)
    {
        using var response = await TokenRequestAsync(http, discovery, code, verifier);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token endpoint: {(int)response.StatusCode} {body}\n{Provider.Output}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>The JWT's payload, once its RS256 signature checks out against the provider's published key.</summary>
    private static async Task<JsonObject> VerifiedPayloadAsync(HttpClient http, JsonObject discovery, string jwt)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
        Assert.Equal("RS256", (string?)header["alg"]);

        var jwks = (await http.GetFromJsonAsync<JsonObject>((string)discovery["jwks_uri"]!, Ct))!;
        var key = jwks["keys"]!.AsArray().Single(k => (string?)k!["kid"] == (string?)header["kid"])!;
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Base64Url.DecodeFromChars((string)key["n"]!),
            Exponent = Base64Url.DecodeFromChars((string)key["e"]!),
        });
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url.DecodeFromChars(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "the id_token's signature does not verify");
        return JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
    }

    private static IEnumerable<string> Strings(JsonNode? array) => array!.AsArray().Select(n => (string)n!);

    [GeneratedRegex("<form[^>]*\\saction=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormAction();
}
