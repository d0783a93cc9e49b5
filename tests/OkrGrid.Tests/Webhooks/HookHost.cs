using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Webhooks;

/// <summary>
/// A real web host for the webhook tests, with private networks allowed (the receiver is on loopback), quick retries
/// (0.2 s base, 3 attempts) and a quick sweep; and a real receiver. An organisation: Engineering › Platform, and Sales;
/// Ana (Platform), Bo (Sales), Lea (Engineering, a lead with an account); a cycle around now with one objective and two
/// key results per team.
/// </summary>
public sealed class HookHost : IAsyncLifetime
{
    public static JsonSerializerOptions Json => OkrGrid.Tests.Live.DemoHostFixture.Json;
    public const string CycleId = "hooks-now";
    public const string Password = "Member-password-1";
    public const int MaxAttempts = 3;

    private string _database = "";
    public WebProcess Web { get; private set; } = null!;
    public WebhookReceiver Receiver { get; private set; } = null!;
    public HttpClient Admin => Web.Client;
    public HttpClient Lead { get; private set; } = null!;
    public HttpClient Member { get; private set; } = null!;

    public static IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Outbound__AllowPrivateNetworks"] = "true",
        ["Webhooks__RetryBase"] = "00:00:00.200",
        ["Webhooks__MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhooks__Poll"] = "00:00:00.100",
        ["Webhooks__SweepDelay"] = "00:00:01",
        ["Webhooks__SweepInterval"] = "00:00:05",
        // Everything the webhook code logs is in the output the secret test searches.
        ["Logging__LogLevel__OkrGrid"] = "Debug",
    };

    public async ValueTask InitializeAsync()
    {
        _database = await ScratchDatabases.CreateAsync("hooks");
        Receiver = await WebhookReceiver.StartAsync();
        Web = await WebProcess.StartAsync(_database, seedDemo: false, environment: Settings);
        await SeedAsync(Web.Client);
        foreach (var (user, person, role) in new[] { ("lea", "lea", "lead"), ("ana", "ana", "member") })
        {
            await PostOkAsync(Admin, "/api/users", new { userName = user, displayName = user, role, personId = person, password = Password });
            // A lead manages webhooks in a session (a lead's token has at most the write scope, as for wall links).
            var session = await WebSessions.SignInAsync(Web.BaseAddress, user, Password);
            if (role == "lead") { Lead = session; continue; }
            Member = WebSessions.WithToken(Web.BaseAddress, await WebSessions.CreateTokenAsync(session, "hooks", "write"));
            session.Dispose();
        }
    }

    /// <summary>The organisation above, through the API.</summary>
    public static async Task SeedAsync(HttpClient admin)
    {
        var start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-10);
        await PostOkAsync(admin, "/api/teams", new { id = "eng", name = "Engineering" });
        await PostOkAsync(admin, "/api/teams", new { id = "platform", name = "Platform", parentTeamId = "eng" });
        await PostOkAsync(admin, "/api/teams", new { id = "sales", name = "Sales" });
        await PostOkAsync(admin, "/api/people", new { id = "ana", name = "Ana Lima", teamId = "platform" });
        await PostOkAsync(admin, "/api/people", new { id = "bo", name = "Bo Berg", teamId = "sales" });
        await PostOkAsync(admin, "/api/people", new { id = "lea", name = "Lea Stone", teamId = "eng" });
        await PostOkAsync(admin, "/api/cycles", new { id = CycleId, name = "Now", start, end = start.AddDays(30) });
        foreach (var team in new[] { "platform", "sales" })
        {
            await PostOkAsync(admin, "/api/objectives", new { cycleId = CycleId, id = $"o-{team}", title = $"{team} objective", owner = new { kind = "team", id = team }, parents = Array.Empty<object>(), rollUp = "keyResultsOnly" });
            for (int i = 1; i <= 4; i++)
                await PostOkAsync(admin, "/api/key-results", new
                {
                    cycleId = CycleId, id = $"k-{team}-{i}", title = $"{team} key result {i}", owner = new { kind = "person", id = team == "platform" ? "ana" : "bo" },
                    kind = "increase", start = 0, target = 100, objectiveId = Node($"o-{team}"), weight = 1, unit = ""
                });
        }
    }

    public static string Node(string local) => $"{CycleId}{NodeIds.Separator}{local}";

    public async ValueTask DisposeAsync()
    {
        Lead?.Dispose();
        Member?.Dispose();
        if (Web is not null) await Web.DisposeAsync();
        if (Receiver is not null) await Receiver.DisposeAsync();
        if (_database.Length > 0) await ScratchDatabases.DropAsync(_database);
    }

    public static async Task<JsonNode> PostOkAsync(HttpClient client, string url, object body)
    {
        using var response = await client.PostAsJsonAsync(url, body, Json);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    /// <summary>Creates a webhook to the receiver's inbox <paramref name="inbox"/> and gives the inbox its secret.</summary>
    public async Task<(string Id, string Secret)> SubscribeAsync(string inbox, string[] events, string scope = "company", string format = "json", HttpClient? client = null)
    {
        var created = await PostOkAsync(client ?? Admin, "/api/webhooks", new { name = $"hook {inbox}", url = Receiver.Url(inbox), events, scope, format });
        var id = created["webhook"]!["id"]!.GetValue<string>();
        var secret = created["secret"]!.GetValue<string>();
        Receiver[inbox].Secret = secret;
        return (id, secret);
    }

    /// <summary>A check-in by the admin; returns the key result's new status.</summary>
    public async Task<Status> CheckInAsync(string keyResultLocal, double value, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{Node(keyResultLocal)}/check-ins")
        {
            Content = JsonContent.Create(new { value, confidence = 0.5 }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        using var response = await (client ?? Admin).SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"check-in: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<CheckInResult>(Json))!.Score.Status;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Not within {seconds} s: {what}");
            await Task.Delay(50);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, int seconds = 20) => UntilAsync(() => Task.FromResult(condition()), what, seconds);
}
