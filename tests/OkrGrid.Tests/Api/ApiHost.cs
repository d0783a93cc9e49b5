using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Api;

/// <summary>
/// One real web host (the built OkrGrid.Web as a process) on a scratch database, shared by every API test class:
/// starting a host costs seconds. No demo company: each test builds what it needs through the API, with its own ids,
/// on top of a small organisation made here and a cycle around now (so check-ins dated now are inside it).
/// </summary>
public sealed class ApiHost : IAsyncLifetime
{
    public static JsonSerializerOptions Json => OkrGrid.Tests.Live.DemoHostFixture.Json;

    /// <summary>The cycle every test works in: it started 10 days ago and ends in 20.</summary>
    public const string CycleId = "api-now";

    /// <summary>A later cycle, for cross-cycle refusals.</summary>
    public const string NextCycleId = "api-next";

    private string _database = "";
    private WebProcess? _web;
    private readonly Dictionary<string, HttpClient> _people = [];

    /// <summary>The admin's client (an admin-scope token).</summary>
    public HttpClient Client => (_web ?? throw new InvalidOperationException("The host is not started.")).Client;

    /// <summary>A member's client (their personal token, write scope): "ana" (Platform) or "bo" (Sales).</summary>
    public HttpClient ClientOf(string userName) => _people[userName];
    public WebProcess Web => _web!;
    public DateTimeOffset CycleStart { get; private set; }
    public DateTimeOffset CycleEnd { get; private set; }

    public async ValueTask InitializeAsync()
    {
        _database = await ScratchDatabases.CreateAsync("api");
        _web = await WebProcess.StartAsync(_database, seedDemo: false);
        var now = DateTimeOffset.UtcNow;
        CycleStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-10);
        CycleEnd = CycleStart.AddDays(30);
        await PostOkAsync("/api/teams", new { id = "eng", name = "Engineering" });
        await PostOkAsync("/api/teams", new { id = "platform", name = "Platform", parentTeamId = "eng" });
        await PostOkAsync("/api/teams", new { id = "sales", name = "Sales" });
        await PostOkAsync("/api/people", new { id = "ana", name = "Ana Lima", teamId = "platform" });
        await PostOkAsync("/api/people", new { id = "bo", name = "Bo Berg", teamId = "sales" });
        await PostOkAsync("/api/cycles", new { id = CycleId, name = "Now", start = CycleStart, end = CycleEnd });
        await PostOkAsync("/api/cycles", new { id = NextCycleId, name = "Next", start = CycleEnd, end = CycleEnd.AddDays(90) });
        // Two members with accounts, each signing in with a password and making a token, as a person would.
        foreach (var (user, person) in new[] { ("ana", "ana"), ("bo", "bo") })
        {
            await PostOkAsync("/api/users", new { userName = user, displayName = person == "ana" ? "Ana Lima" : "Bo Berg", role = "member", personId = person, password = MemberPassword });
            using var session = await WebSessions.SignInAsync(_web.BaseAddress, user, MemberPassword);
            _people[user] = WebSessions.WithToken(_web.BaseAddress, await WebSessions.CreateTokenAsync(session, "api tests", "write"));
        }
    }

    public const string MemberPassword = "Member-password-1";

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _people.Values) client.Dispose();
        if (_web is not null) await _web.DisposeAsync();
        if (_database.Length > 0) await ScratchDatabases.DropAsync(_database);
    }

    private async Task PostOkAsync(string url, object body)
    {
        using var response = await Client.PostAsJsonAsync(url, body, Json);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiHost>
{
    public const string Name = "API host";
}

/// <summary>What the API tests share: calls with JSON bodies, problem assertions, and "nothing changed" checks.</summary>
public abstract class ApiTestBase(ApiHost host)
{
    protected ApiHost Host { get; } = host;
    protected HttpClient Client => Host.Client;
    protected static JsonSerializerOptions Json => ApiHost.Json;
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A unique slug per call, so tests sharing the host never collide.</summary>
    protected static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 64)];

    protected static string Node(string local) => NodeIds.Compose(ApiHost.CycleId, local);

    protected async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, object? body = null, string? idempotencyKey = null, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is string raw) request.Content = new StringContent(raw, System.Text.Encoding.UTF8, "application/json");
        else if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await (client ?? Client).SendAsync(request, Ct);
    }

    protected async Task<T> GetAsync<T>(string url)
    {
        using var response = await Client.GetAsync(url, Ct);
        await AssertStatusAsync(HttpStatusCode.OK, response);
        return (await response.Content.ReadFromJsonAsync<T>(Json, Ct))!;
    }

    /// <summary>Sends and expects the status; returns the body read as <typeparamref name="T"/>.</summary>
    protected async Task<T> ExpectAsync<T>(HttpStatusCode status, HttpMethod method, string url, object? body = null, string? idempotencyKey = null)
    {
        using var response = await SendAsync(method, url, body, idempotencyKey);
        await AssertStatusAsync(status, response);
        return (await response.Content.ReadFromJsonAsync<T>(Json, Ct))!;
    }

    protected async Task<T> CreateAsync<T>(string url, object body, string expectedLocationPrefix)
    {
        using var response = await SendAsync(HttpMethod.Post, url, body);
        await AssertStatusAsync(HttpStatusCode.Created, response);
        Assert.StartsWith(expectedLocationPrefix, response.Headers.Location?.OriginalString);
        return (await response.Content.ReadFromJsonAsync<T>(Json, Ct))!;
    }

    protected async Task NoContentAsync(HttpMethod method, string url, object? body = null)
    {
        using var response = await SendAsync(method, url, body);
        await AssertStatusAsync(HttpStatusCode.NoContent, response);
    }

    protected static async Task AssertStatusAsync(HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// Sends a request that must be refused: the status, the ProblemDetails' <c>field</c>, a reason containing
    /// <paramref name="reasonContains"/>, and — re-read after — the cycles, the organisation and the given extra reads
    /// exactly as before.
    /// </summary>
    protected async Task RefusedAsync(HttpStatusCode status, string field, string reasonContains,
        HttpMethod method, string url, object? body = null, string? idempotencyKey = null, params string[] alsoUnchanged)
    {
        var before = await StateAsync(alsoUnchanged);
        using (var response = await SendAsync(method, url, body, idempotencyKey))
        {
            await AssertStatusAsync(status, response);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!;
            Assert.Equal((int)status, (int)problem["status"]!);
            Assert.Equal(field, (string?)problem["field"]);
            Assert.Contains(reasonContains, (string?)problem["reason"] ?? "");
        }
        Assert.Equal(before, await StateAsync(alsoUnchanged));
    }

    /// <summary>
    /// What a refused request must leave as it was: every cycle's structure (not its scores, whose statuses may move
    /// with the clock), the organisation, and extra reads (e.g. a key result's check-ins).
    /// </summary>
    private async Task<string> StateAsync(string[] alsoUnchanged)
    {
        var parts = new List<string> { await Client.GetStringAsync("/api/organisation", Ct) };
        foreach (var cycle in (await GetAsync<ImmutableArray<CycleInfo>>("/api/cycles")).Select(c => c.Id))
        {
            var s = (await Client.GetFromJsonAsync<JsonObject>($"/api/cycles/{cycle}/snapshot", Json, Ct))!;
            s.Remove("scores");
            s.Remove("takenAt");
            parts.Add(s.ToJsonString());
        }
        foreach (var url in alsoUnchanged) parts.Add(await Client.GetStringAsync(url, Ct));
        return string.Join("\n", parts);
    }

    // ---- Builders through the API ----------------------------------------------------------------------------

    protected Task<ObjectiveDefinition> CreateObjectiveAsync(string local, object owner, object[]? parents = null, string? cycleId = null, string? rollUp = null) =>
        CreateAsync<ObjectiveDefinition>("/api/objectives",
            new { cycleId = cycleId ?? ApiHost.CycleId, id = local, title = $"Objective {local}", owner, parents = parents ?? [], rollUp = rollUp ?? "keyResultsAndObjectives" },
            "/api/objectives/");

    protected Task<KeyResultDefinition> CreateKeyResultAsync(string local, string? objectiveId, double start = 0, double target = 100,
        string kind = "increase", double weight = 1, string? kpiId = null, object? owner = null) =>
        CreateAsync<KeyResultDefinition>("/api/key-results",
            new { id = local, title = $"Key result {local}", owner = owner ?? PersonOwner("ana"), kind, start, target, objectiveId, cycleId = ApiHost.CycleId, weight, kpiId, unit = "" },
            "/api/key-results/");

    /// <summary>A check-in by the admin, or by a member (<paramref name="by"/>: "ana", "bo") with their own token.</summary>
    protected async Task<CheckInResult> CheckInAsync(string keyResultId, double value, double? confidence = null, string? note = null, string? by = null)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/key-results/{keyResultId}/check-ins",
            new { value, confidence, note }, idempotencyKey: Guid.NewGuid().ToString("N"), client: by is null ? null : Host.ClientOf(by));
        await AssertStatusAsync(HttpStatusCode.Created, response);
        return (await response.Content.ReadFromJsonAsync<CheckInResult>(Json, Ct))!;
    }

    /// <summary>
    /// An objective's score once the cascade settled on <paramref name="progress"/> (scores reach parents
    /// asynchronously, within milliseconds); fails with the last score seen after 5 s.
    /// </summary>
    protected async Task<ObjectiveView> ObjectiveSettledAsync(string objectiveId, double progress)
    {
        ObjectiveView view = null!;
        for (var deadline = DateTime.UtcNow.AddSeconds(5); DateTime.UtcNow < deadline; await Task.Delay(20, Ct))
        {
            view = await GetAsync<ObjectiveView>($"/api/objectives/{objectiveId}");
            if (Math.Abs(view.Score.Progress - progress) < 1e-9) return view;
        }
        Assert.Fail($"{objectiveId} stayed at {view.Score.Progress}, expected {progress}");
        return view;
    }

    protected static object CompanyOwner => new { kind = "company" };
    protected static object TeamOwner(string id) => new { kind = "team", id };
    protected static object PersonOwner(string id) => new { kind = "person", id };
    protected static object Parent(string id, double weight = 1) => new { parentId = id, weight };
}
