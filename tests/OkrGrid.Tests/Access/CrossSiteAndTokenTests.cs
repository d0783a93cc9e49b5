using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static OkrGrid.Tests.Access.Caller;

namespace OkrGrid.Tests.Access;

/// <summary>
/// What a page on another site can do with a signed-in browser (nothing), and what a bad credential gets told: a 401
/// whose ProblemDetails says which — malformed, unknown, revoked, expired, a wall link, a disabled account.
/// </summary>
[Collection(AccessCollection.Name)]
public sealed class CrossSiteAndTokenTests(AccessHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Evil = "http://evil.example";

    [Fact]
    public async Task ACrossSiteFormPostWithTheAdminsCookieChangesNothing()
    {
        using var maya = await WebSessions.DemoSignInAsync(host.Web.BaseAddress, "maya-okafor");
        var cycle = host.CycleId;
        var before = await StateAsync();

        // What a form on evil.example would send: the browser attaches the cookie and says where the form came from.
        foreach (var (url, content) in new (string, HttpContent?)[]
        {
            ($"/api/cycles/{cycle}/close", new FormUrlEncodedContent([])),
            ($"/api/cycles/{cycle}/close", null),
            ($"/api/key-results/{cycle}:activation-onboarding/check-ins", new FormUrlEncodedContent([new("value", "1")])),
            ("/api/tokens", new StringContent("""{"name":"stolen","scope":"admin"}""", System.Text.Encoding.UTF8, "text/plain")),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            request.Headers.Add("Origin", Evil);
            using var response = await maya.SendAsync(request, Ct);
            await AssertProblemAsync(response, HttpStatusCode.Forbidden, "Origin", Evil);
        }
        // Without an Origin header, the fetch metadata gives it away.
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/cycles/{cycle}/close"))
        {
            request.Headers.Add("Sec-Fetch-Site", "cross-site");
            using var response = await maya.SendAsync(request, Ct);
            await AssertProblemAsync(response, HttpStatusCode.Forbidden, "Origin", "another site");
        }
        // Same site, but no antiforgery token: a cookie alone never changes anything through the API.
        maya.DefaultRequestHeaders.Remove(Web.Access.RequestGuard.CsrfHeader);
        using (var response = await maya.PostAsync($"/api/cycles/{cycle}/close", null, Ct))
            await AssertProblemAsync(response, HttpStatusCode.Forbidden, Web.Access.RequestGuard.CsrfHeader, "antiforgery");
        // Signing someone out from another site does not work either.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/account/logout") { Content = new FormUrlEncodedContent([]) })
        {
            request.Headers.Add("Origin", Evil);
            using var response = await maya.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        Assert.Equal(before, await StateAsync());
        // Still signed in, and reads need no token.
        using (var response = await maya.GetAsync("/api/me", Ct)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AForeignOriginCannotOpenTheHubAndApiAnswersCarrySecurityHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/scorecard/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", Evil);
        request.Headers.Authorization = new("Bearer", host.Tokens[Admin]);
        using var response = await WebSessions.Anonymous(host.Web.BaseAddress).SendAsync(request, Ct);
        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "Origin", Evil);

        using var api = await host.Admin.GetAsync("/api/organisation", Ct);
        Assert.Equal("nosniff", api.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", api.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", api.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-store", api.Headers.CacheControl!.ToString());
        Assert.Contains("default-src 'none'", api.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task ABadCredentialIsRefusedWith401SayingWhich()
    {
        using var jonas = await WebSessions.DemoSignInAsync(host.Web.BaseAddress, "jonas-berg");
        var revoked = await WebSessions.CreateTokenAsync(jonas, "to revoke", "read");
        using (var response = await jonas.DeleteAsync($"/api/tokens/{revoked.Split('_')[1]}", Ct)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expiring = await WebSessions.CreateTokenAsync(jonas, "short-lived", "read", DateTimeOffset.UtcNow.AddSeconds(2));
        var disabledOwner = await WebSessions.CreateTokenAsync(await WebSessions.DemoSignInAsync(host.Web.BaseAddress, "zara-ahmed"), "soon orphaned", "read");
        using (var response = await host.Admin.PatchAsJsonAsync("/api/users/zara-ahmed", new { disabled = true }, Ct)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        var genuine = host.Tokens[Viewer];

        foreach (var (token, reason) in new[]
        {
            ("abc", "is not an OkrGrid token"),
            ("okrp_0123456789abcdef_thisisnotthesecretofanytoken", "is not a token this service issued"),
            (genuine[..^3] + "xyz", "is not a token this service issued"),
            (revoked, "was revoked on"),
            (expiring, "expired on"),
            (host.WallLink, "is a wall link"),
            (disabledOwner, "disabled"),
        })
        {
            using var client = WebSessions.WithToken(host.Web.BaseAddress, token);
            using var response = await client.GetAsync("/api/organisation", Ct);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "Authorization", reason);
            Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        }
        using (var response = await host.Admin.PatchAsJsonAsync("/api/users/zara-ahmed", new { disabled = false }, Ct)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task NobodyLearnsWhetherAnIdExistsFromARefusal()
    {
        var anonymous = host.Clients[Anonymous];
        var known = await BodyAsync(anonymous, $"/api/objectives/{host.CycleId}:co-growth");
        var unknown = await BodyAsync(anonymous, $"/api/objectives/{host.CycleId}:no-such-objective");
        Assert.Equal((HttpStatusCode.Unauthorized, Strip(known.Body)), (unknown.Status, Strip(unknown.Body)));

        // Someone else's token and a token that does not exist look the same to a person who may not revoke it.
        using var jonas = await WebSessions.DemoSignInAsync(host.Web.BaseAddress, "jonas-berg");
        using var sofia = await WebSessions.DemoSignInAsync(host.Web.BaseAddress, "sofia-alvarez");
        var his = (await WebSessions.CreateTokenAsync(jonas, "mine", "read")).Split('_')[1];
        var theirs = await BodyAsync(sofia, $"/api/tokens/{his}", HttpMethod.Delete);
        var nobodys = await BodyAsync(sofia, "/api/tokens/0000000000000000", HttpMethod.Delete);
        Assert.Equal(HttpStatusCode.NotFound, theirs.Status);
        Assert.Equal(Strip(theirs.Body).Replace(his, "ID"), Strip(nobodys.Body).Replace("0000000000000000", "ID"));
    }

    private static string Strip(string body)
    {
        var json = JsonNode.Parse(body)!.AsObject();
        json.Remove("traceId");
        return json.ToJsonString();
    }

    private static async Task<(HttpStatusCode Status, string Body)> BodyAsync(HttpClient client, string url, HttpMethod? method = null)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(method ?? HttpMethod.Get, url), Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field, string reasonContains)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)status}, got {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(field, (string?)problem["field"]);
        Assert.Contains(reasonContains, (string?)problem["reason"] ?? "");
    }

    private async Task<string> StateAsync()
    {
        var parts = new List<string>();
        foreach (var url in new[] { "/api/cycles", $"/api/key-results/{host.CycleId}:activation-onboarding/check-ins", "/api/tokens?all=true" })
            parts.Add(await host.Admin.GetStringAsync(url, Ct));
        return System.Text.RegularExpressions.Regex.Replace(string.Join("\n", parts), "\"lastUsedAt\":(null|\"[^\"]*\")", "");
    }
}
