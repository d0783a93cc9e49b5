using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Silo.Storage;
using OkrGrid.Tests.Access;
using OkrGrid.Web.Access;
using OkrGrid.Web.Hubs;
using OkrGrid.Web.Telemetry;

namespace OkrGrid.Tests.Operations;

/// <summary>
/// The real web host as a process of its own (so the process-wide meters hold this host's numbers only) on a scratch
/// database: /metrics after check-ins has the engine's, Orleans', Npgsql's and ASP.NET Core's series with the values the
/// test caused; who may read /metrics and the Orleans Dashboard.
/// </summary>
public sealed class ObservabilityTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static JsonSerializerOptions Json => OkrGrid.Tests.Live.DemoHostFixture.Json;

    private const string ScrapeToken = "test-scrape-token-0123456789abcdef0123456789";
    private const string MemberPassword = "Member-password-1";

    private string _database = "";
    private WebProcess _web = null!;
    private HttpClient Admin => _web.Client;

    public async ValueTask InitializeAsync()
    {
        _database = await ScratchDatabases.CreateAsync("obs");
        _web = await WebProcess.StartAsync(_database, seedDemo: false, environment: new Dictionary<string, string> { ["Telemetry__ScrapeToken"] = ScrapeToken });
    }

    public async ValueTask DisposeAsync()
    {
        if (_web is not null) await _web.DisposeAsync();
        if (_database.Length > 0) await ScratchDatabases.DropAsync(_database);
    }

    [Fact]
    public async Task MetricsAfterCheckInsHoldTheEngineSeriesWithTheValuesCaused()
    {
        var now = DateTimeOffset.UtcNow;
        await PostOkAsync("/api/teams", new { id = "ops", name = "Operations" });
        await PostOkAsync("/api/cycles", new { id = "obs", name = "Now", start = now.AddDays(-10), end = now.AddDays(20) });
        var company = await CreatedIdAsync("/api/objectives", new { cycleId = "obs", id = "co", title = "Company objective", owner = new { kind = "company" } });
        var team = await CreatedIdAsync("/api/objectives", new
        {
            cycleId = "obs", id = "team", title = "Team objective", owner = new { kind = "team", id = "ops" },
            parents = new[] { new { parentId = company } }
        });
        var kr = await CreatedIdAsync("/api/key-results", new
        {
            cycleId = "obs", id = "kr", title = "A key result", owner = new { kind = "team", id = "ops" },
            kind = "increase", start = 0, target = 100, objectiveId = team
        });

        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_web.BaseAddress, ScorecardHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(_web.AdminToken))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)))
            .Build();
        await hub.StartAsync(Ct);

        // Seven traced check-ins, one at a time (each reaches the company objective before the next), and a retry of the
        // last one with its Idempotency-Key: applied once, counted once.
        const int checkIns = 7;
        string key = "";
        for (var i = 1; i <= checkIns; i++)
        {
            key = Guid.NewGuid().ToString("N");
            using var response = await CheckInAsync(kr, i * 10, key, $"obs-{i}");
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            await Task.Delay(150, Ct);
        }
        using (var retry = await CheckInAsync(kr, checkIns * 10, key, $"obs-{checkIns}")) Assert.Equal(HttpStatusCode.OK, retry.StatusCode);

        // The lag is recorded once a trace has been quiet for a second: wait for all seven.
        using var scraper = WebSessions.WithToken(_web.BaseAddress, ScrapeToken);
        Dictionary<string, double> series = [];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await Task.Delay(500, Ct);
            series = await ScrapeAsync(scraper);
        } while (Sum(series, "okrgrid_propagation_lag_seconds_count") < checkIns && DateTime.UtcNow < deadline);

        // Ours.
        Assert.True(Sum(series, "okrgrid_checkins_total") == checkIns, Ours(series));
        var commits = Sum(series, "okrgrid_journal_batch_size_count");
        Assert.True(commits is >= 1 and <= checkIns + 1, $"{commits} journal commits for {checkIns} check-ins and a retry");
        Assert.True(Sum(series, "okrgrid_journal_batch_size_sum") >= checkIns, "every check-in went through a commit");
        Assert.Equal(commits, Sum(series, "okrgrid_journal_commit_duration_seconds_count"));
        var commitSeconds = Sum(series, "okrgrid_journal_commit_duration_seconds_sum") / commits;
        Assert.True(commitSeconds is > 0 and < 5, $"mean commit {commitSeconds} s");
        Assert.Equal(checkIns, Sum(series, "okrgrid_propagation_lag_seconds_count"));
        var lag = Sum(series, "okrgrid_propagation_lag_seconds_sum") / checkIns;
        Assert.True(lag is >= 0 and < 2, $"mean propagation lag {lag} s (a 20 ms coalescing tick and a 15 ms feed flush per level)");
        Assert.Equal(0, Sum(series, "okrgrid_propagation_unobserved_total"));
        TestContext.Current.SendDiagnosticMessage(
            $"{checkIns} check-ins: {commits} journal commits, mean commit {commitSeconds * 1000:F1} ms, mean propagation lag to the company objective {lag * 1000:F1} ms.");
        Assert.Equal(1, Sum(series, "okrgrid_hub_connections"));
        Assert.True(Sum(series, "okrgrid_feed_delivery_lag_seconds_count") >= checkIns * 3, "each check-in's key result, team and company objective were heard");
        // Everything published was delivered by now (it is a sum of +1 per change and −1 per delivery, so never below 0).
        Assert.True(Has(series, "okrgrid_feed_backlog"), Ours(series));
        Assert.Equal(0, Sum(series, "okrgrid_feed_backlog"));
        // Theirs: Orleans' meter, Npgsql's, ASP.NET Core's, the runtime's.
        Assert.Contains(series.Keys, k => k.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.Contains(series.Keys, k => k.StartsWith("db_client_", StringComparison.Ordinal));
        Assert.True(Sum(series, "http_server_request_duration_seconds_count") > checkIns);
        Assert.Contains(series.Keys, k => k.StartsWith("dotnet_", StringComparison.Ordinal));

        // The hub connection closes: the gauge follows.
        await hub.StopAsync(Ct);
        deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(400, Ct);
            series = await ScrapeAsync(scraper);
        } while (Sum(series, "okrgrid_hub_connections") != 0 && DateTime.UtcNow < deadline);
        Assert.Equal(0, Sum(series, "okrgrid_hub_connections"));
    }

    [Fact]
    public async Task MetricsAreForAdminsAndTheScrapeTokenAndTheScrapeTokenOpensNothingElse()
    {
        using (var anonymous = new HttpClient { BaseAddress = _web.BaseAddress })
            await RefusedAsync(anonymous, "/metrics", HttpStatusCode.Unauthorized, "Sign in");
        using (var wrong = WebSessions.WithToken(_web.BaseAddress, "not-the-scrape-token-0123456789abcdef0123"))
            await RefusedAsync(wrong, "/metrics", HttpStatusCode.Unauthorized, "is not this host's scrape token");
        using var member = await MemberAsync();
        await RefusedAsync(member, "/metrics", HttpStatusCode.Forbidden, "admin");
        using (var readOnly = WebSessions.WithToken(_web.BaseAddress, await WebSessions.CreateTokenAsync(await AdminSessionAsync(), "reader", "read")))
            await RefusedAsync(readOnly, "/metrics", HttpStatusCode.Forbidden, "admin scope");

        using (var response = await Admin.GetAsync("/metrics", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        }
        using var scraper = WebSessions.WithToken(_web.BaseAddress, ScrapeToken);
        using (var response = await scraper.GetAsync("/metrics", Ct)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Anywhere else the scrape token is just a malformed token.
        await RefusedAsync(scraper, "/api/organisation", HttpStatusCode.Unauthorized, "is not an OkrGrid token");
        await RefusedAsync(scraper, "/admin/orleans/ClusterStats", HttpStatusCode.Unauthorized, "is not an OkrGrid token");
    }

    [Fact]
    public async Task TheOrleansDashboardIsServedToAdminsOnly()
    {
        // Every route of the dashboard — its page, assets and the JSON it polls — carries the admin policy.
        var routes = (await PermissionMatrixTests.RouteTableAsync()).Where(r => r.Path.StartsWith(ObservabilityHosting.DashboardPath, StringComparison.Ordinal)).ToList();
        Assert.True(routes.Count >= 10, $"{routes.Count} dashboard routes");
        Assert.All(routes, r => Assert.Equal([Policies.Admin], r.Policies));

        // An admin (token with the admin scope, or a session): the page and the cluster's data.
        using (var page = await Admin.GetAsync("/admin/orleans/", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<html", await page.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);
        }
        using (var stats = await Admin.GetAsync("/admin/orleans/ClusterStats", Ct))
            Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        using var adminSession = await AdminSessionAsync();
        using (var counters = await adminSession.GetAsync("/admin/orleans/DashboardCounters", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
            var body = JsonNode.Parse(await counters.Content.ReadAsStringAsync(Ct))!;
            Assert.True((int?)body["totalActiveHostCount"] >= 1, body.ToJsonString()[..Math.Min(300, body.ToJsonString().Length)]);
        }

        // Nobody signed in: the page sends them to sign in. A member's session: refused (the access-denied page). A
        // member's token, or an admin's without the admin scope: 403 with the reason.
        using (var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _web.BaseAddress })
        using (var response = await anonymous.GetAsync("/admin/orleans/ClusterStats", Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/account/login", response.Headers.Location?.AbsolutePath ?? response.Headers.Location?.OriginalString);
        }
        var cookies = new CookieContainer();
        using (var memberSession = await WebSessions.SignInAsync(_web.BaseAddress, await MemberUserAsync(), MemberPassword, cookies))
        using (var noRedirect = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = _web.BaseAddress })
        using (var response = await noRedirect.GetAsync("/admin/orleans/", Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Contains("/account/denied", response.Headers.Location?.OriginalString);
        }
        using var member = await MemberAsync();
        using (var response = await member.GetAsync("/admin/orleans/ClusterStats", Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("admin", await response.Content.ReadAsStringAsync(Ct));
        }
    }

    // ---- Helpers ------------------------------------------------------------------------------------------------

    private string? _memberUser;

    /// <summary>A member account (made once), signed in with its password.</summary>
    private async Task<string> MemberUserAsync()
    {
        if (_memberUser is not null) return _memberUser;
        await PostOkAsync("/api/teams", new { id = "members", name = "Members" });
        await PostOkAsync("/api/people", new { id = "mia", name = "Mia Member", teamId = "members" });
        // The host learns of the new person from the change feed, a few milliseconds later: until then the account's
        // person is unknown to it (404).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await Admin.PostAsJsonAsync("/api/users",
                new { userName = "mia", displayName = "Mia Member", role = "member", personId = "mia", password = MemberPassword }, Json, Ct);
            if (response.IsSuccessStatusCode) break;
            if (response.StatusCode != HttpStatusCode.NotFound || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"POST /api/users: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
            await Task.Delay(100, Ct);
        }
        return _memberUser = "mia";
    }

    /// <summary>The member's own token with the write scope.</summary>
    private async Task<HttpClient> MemberAsync()
    {
        using var session = await WebSessions.SignInAsync(_web.BaseAddress, await MemberUserAsync(), MemberPassword);
        return WebSessions.WithToken(_web.BaseAddress, await WebSessions.CreateTokenAsync(session, "member", "write"));
    }

    private Task<HttpClient> AdminSessionAsync() => WebSessions.SignInAsync(_web.BaseAddress, WebSessions.AdminUserName, WebSessions.AdminPassword);

    private static async Task RefusedAsync(HttpClient client, string url, HttpStatusCode status, string reasonContains)
    {
        using var response = await client.GetAsync(url, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"GET {url}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal("Authorization", (string?)problem["field"]);
        Assert.Contains(reasonContains, (string?)problem["reason"] ?? "");
    }

    private Task<HttpResponseMessage> CheckInAsync(string kr, double value, string idempotencyKey, string traceId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{kr}/check-ins") { Content = JsonContent.Create(new { value, traceId }) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return Admin.SendAsync(request, Ct);
    }

    private async Task PostOkAsync(string url, object body)
    {
        using var response = await Admin.PostAsJsonAsync(url, body, Json, Ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private async Task<string> CreatedIdAsync(string url, object body)
    {
        using var response = await Admin.PostAsJsonAsync(url, body, Json, Ct);
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json, Ct)).GetProperty("id").GetString()!;
    }

    /// <summary>The Prometheus text as series → value ("name{labels}" → value); comments left out.</summary>
    private static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient client)
    {
        var text = await client.GetStringAsync("/metrics", Ct);
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var match = Regex.Match(line, @"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)");
            if (match.Success && double.TryParse(match.Groups[2].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                series[match.Groups[1].Value] = value;
        }
        return series;
    }

    private static bool Has(Dictionary<string, double> series, string name) =>
        series.Keys.Any(k => k == name || k.StartsWith(name + "{", StringComparison.Ordinal));

    /// <summary>OkrGrid's series, for a failure message.</summary>
    private static string Ours(Dictionary<string, double> series) =>
        string.Join("\n", series.Where(s => s.Key.StartsWith("okrgrid_", StringComparison.Ordinal)).Select(s => $"{s.Key} {s.Value}"));

    /// <summary>The sum of a metric over all its label sets.</summary>
    private static double Sum(Dictionary<string, double> series, string name) =>
        series.Where(s => s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(s => s.Value);
}
