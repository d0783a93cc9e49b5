using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OkrGrid.Web.Access;
using OkrGrid.Web.Apis;
using OkrGrid.Web.Components;
using OkrGrid.Web.Hosting;
using OkrGrid.Web.Live;
using OkrGrid.Web.Telemetry;
using static OkrGrid.Tests.Access.Caller;

namespace OkrGrid.Tests.Access;

/// <summary>
/// Every endpoint of the host's route table × every kind of caller → the status the roles and scopes specify, and
/// nothing changed by any refusal. The table below says, per endpoint, what it needs; an endpoint the route table has
/// and the table does not fails the test — so one added later without a decision about who may use it cannot slip by.
/// </summary>
[Collection(AccessCollection.Name)]
public sealed class PermissionMatrixTests(AccessHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static JsonSerializerOptions Json => AccessHost.Json;

    private const int Ok = 200; // any 2xx
    private const int Unauthenticated = 401;
    private const int Forbidden = 403;
    private const int NotFound = 404;

    /// <summary>What an endpoint needs, and so who gets in. Each row is a policy of the API as users meet it.</summary>
    private static readonly Dictionary<string, Dictionary<Caller, int>> Needs = new()
    {
        // Reads: anyone signed in, any token scope; a wall link is not for the API.
        ["read"] = Expect(everyone: Ok),
        // A check-in on Jonas's key result: Jonas, his lead, admins, a Growth service token; not another team's member,
        // not a viewer, not a read-only token.
        ["checkIn"] = Expect(Ok, (Viewer, Forbidden), (OtherTeamMember, Forbidden), (AdminReadToken, Forbidden)),
        // A measurement of a KPI Growth owns: Jonas may (his team's), as for a key result his team owns.
        ["measure"] = Expect(Ok, (Viewer, Forbidden), (OtherTeamMember, Forbidden), (AdminReadToken, Forbidden)),
        // Changing Jonas's own objective or key result.
        ["change"] = Expect(Ok, (Viewer, Forbidden), (OtherTeamMember, Forbidden), (AdminReadToken, Forbidden), (AdminCheckInToken, Forbidden)),
        // Changing something Growth owns (a KPI): its lead, admins, the Growth service token — not its members.
        ["changeTeam"] = Expect(Ok, (Viewer, Forbidden), (Member, Forbidden), (MemberSession, Forbidden), (OtherTeamMember, Forbidden),
            (AdminReadToken, Forbidden), (AdminCheckInToken, Forbidden)),
        // Starting a scenario: leads and admins (write scope), the service token (a lead of Growth).
        ["plan"] = Expect(Ok, (Viewer, Forbidden), (Member, Forbidden), (MemberSession, Forbidden), (OtherTeamMember, Forbidden),
            (AdminReadToken, Forbidden), (AdminCheckInToken, Forbidden)),
        // Changing Sofia's scenario: Sofia and admins; not another planner (the service token).
        ["planOwn"] = Expect(Ok, (Viewer, Forbidden), (Member, Forbidden), (MemberSession, Forbidden), (OtherTeamMember, Forbidden),
            (AdminReadToken, Forbidden), (AdminCheckInToken, Forbidden), (GrowthService, Forbidden)),
        // Cycles, teams, people, accounts, service tokens, the audit: admins with the admin scope only.
        ["admin"] = Expect(Forbidden, (Admin, Ok)),
        // One's own account and personal tokens: a person in a session, or with an admin-scope token.
        ["account"] = Expect(Forbidden, (Admin, Ok), (MemberSession, Ok), (LeadSession, Ok)),
        // Wall links: a lead (for their team) or an admin, in a session or with the admin scope.
        ["share"] = Expect(Forbidden, (Admin, Ok), (LeadSession, Ok)),
        // Open to anyone (the demo's token for curl on a demo database).
        ["anyone"] = Expect(Ok, (Anonymous, Ok), (WallLink, Ok)),
        // A data source's ingest URL: its own token only — no session, API token, service token or wall link opens it.
        ["ingest"] = Expect(Unauthenticated),
    };

    private static Dictionary<Caller, int> Expect(int everyone, params (Caller Caller, int Status)[] except)
    {
        var expected = Enum.GetValues<Caller>().ToDictionary(c => c, _ => everyone);
        expected[Anonymous] = Unauthenticated;
        expected[WallLink] = Unauthenticated;
        foreach (var (caller, status) in except) expected[caller] = status;
        return expected;
    }

    /// <summary>A request to send: made fresh for each caller (so an allowed change never depends on an earlier one).</summary>
    private sealed record Call(HttpMethod Method, string Url, object? Body = null);

    /// <summary>Per endpoint: what it needs, how to build a request the caller is entitled to find valid, and exceptions.</summary>
    private sealed record Row(string Need, Func<Caller, Task<Call>> Make, Dictionary<Caller, int>? Except = null);

    private Dictionary<string, Row> Rows()
    {
        var c = host.CycleId;
        Task<Call> Get(string url) => Task.FromResult(new Call(HttpMethod.Get, url));
        return new()
        {
            ["GET /api/organisation"] = new("read", _ => Get("/api/organisation")),
            ["GET /api/cycles"] = new("read", _ => Get("/api/cycles")),
            ["GET /api/cycles/{cycleId}"] = new("read", _ => Get($"/api/cycles/{c}")),
            ["GET /api/cycles/current"] = new("read", _ => Get("/api/cycles/current")),
            ["GET /api/cycles/{cycleId}/snapshot"] = new("read", _ => Get($"/api/cycles/{c}/snapshot")),
            ["POST /api/cycles"] = new("admin", _ => Task.FromResult(NewCycleCall())),
            ["POST /api/cycles/{cycleId}/close"] = new("admin", async _ => new(HttpMethod.Post, $"/api/cycles/{await NewCycleAsync()}/close")),
            ["POST /api/cycles/{cycleId}/reopen"] = new("admin", async _ =>
            {
                var cycle = await NewCycleAsync(closed: true);
                return new(HttpMethod.Post, $"/api/cycles/{cycle}/reopen");
            }),
            ["POST /api/cycles/{cycleId}/carry-over"] = new("admin", async _ =>
            {
                var from = await NewCycleAsync();
                var objective = await NewObjectiveAsync(from, new { kind = "person", id = "jonas-berg" });
                await AdminAsync(HttpMethod.Post, $"/api/cycles/{from}/close");
                return new(HttpMethod.Post, $"/api/cycles/{from}/carry-over", new { targetCycleId = await NewCycleAsync(), objectiveIds = new[] { objective } });
            }),
            // Import and export of a cycle: export for readers, import for admins.
            ["GET /api/cycles/{cycleId}/export"] = new("read", _ => Get($"/api/cycles/{c}/export?format=csv")),
            ["POST /api/cycles/{cycleId}/import"] = new("admin", _ => Task.FromResult(new Call(HttpMethod.Post, $"/api/cycles/{c}/import",
                new { format = "okrgrid.cycle/1", objectives = new[] { new { id = Unique("imp"), title = "An imported objective", ownerKind = "person", ownerId = "jonas-berg" } } }))),
            ["GET /api/teams"] = new("read", _ => Get("/api/teams")),
            ["GET /api/teams/{teamId}"] = new("read", _ => Get("/api/teams/growth")),
            ["POST /api/teams"] = new("admin", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/teams", new { id = Unique("team"), name = "A new team", parentTeamId = "growth" }))),
            ["GET /api/people"] = new("read", _ => Get("/api/people")),
            ["GET /api/people/{personId}"] = new("read", _ => Get("/api/people/jonas-berg")),
            ["POST /api/people"] = new("admin", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/people", new { id = Unique("p"), name = "New Person", teamId = "growth" }))),

            ["GET /api/objectives"] = new("read", _ => Get($"/api/objectives?cycleId={c}&teamId=growth")),
            ["GET /api/objectives/{id}"] = new("read", async _ => new(HttpMethod.Get, $"/api/objectives/{await JonasObjectiveAsync()}")),
            ["POST /api/objectives"] = new("change", async _ => new(HttpMethod.Post, "/api/objectives",
                new { cycleId = c, title = "Jonas's new objective", owner = Jonas, parents = new[] { new { parentId = $"{c}:growth-activation" } } })),
            ["PATCH /api/objectives/{id}"] = new("change", async _ => new(HttpMethod.Patch, $"/api/objectives/{await NewObjectiveAsync(c, Jonas)}", new { title = "Renamed" })),
            ["DELETE /api/objectives/{id}"] = new("change", async _ => new(HttpMethod.Delete, $"/api/objectives/{await NewObjectiveAsync(c, Jonas)}")),
            ["PUT /api/objectives/{id}/parents"] = new("change", async _ => new(HttpMethod.Put, $"/api/objectives/{await NewObjectiveAsync(c, Jonas)}/parents",
                new { parents = new[] { new { parentId = $"{c}:growth-expansion", weight = 1.0 } } })),
            ["PUT /api/objectives/{id}/children/{childId}/weight"] = new("change", async _ =>
            {
                var objective = await NewObjectiveAsync(c, Jonas);
                var kr = await NewKeyResultAsync(c, objective);
                return new(HttpMethod.Put, $"/api/objectives/{objective}/children/{kr}/weight", new { weight = 2.0 });
            }),

            ["POST /api/key-results"] = new("change", async _ => new(HttpMethod.Post, "/api/key-results",
                new { title = "Jonas's new key result", owner = Jonas, kind = "increase", start = 0, target = 10, objectiveId = await JonasObjectiveAsync() })),
            ["GET /api/key-results/{id}"] = new("read", async _ => new(HttpMethod.Get, $"/api/key-results/{await JonasKeyResultAsync()}")),
            ["PATCH /api/key-results/{id}"] = new("change", async _ => new(HttpMethod.Patch, $"/api/key-results/{await NewKeyResultAsync(c, await JonasObjectiveAsync())}", new { target = 20 })),
            ["DELETE /api/key-results/{id}"] = new("change", async _ => new(HttpMethod.Delete, $"/api/key-results/{await NewKeyResultAsync(c, await JonasObjectiveAsync())}")),
            ["PUT /api/key-results/{id}/objective"] = new("change", async _ =>
                new(HttpMethod.Put, $"/api/key-results/{await NewKeyResultAsync(c, await JonasObjectiveAsync())}/objective", new { objectiveId = await NewObjectiveAsync(c, Jonas) })),
            ["DELETE /api/key-results/{id}/objective"] = new("change", async _ =>
                new(HttpMethod.Delete, $"/api/key-results/{await NewKeyResultAsync(c, await JonasObjectiveAsync())}/objective")),
            ["GET /api/key-results/{id}/check-ins"] = new("read", async _ => new(HttpMethod.Get, $"/api/key-results/{await JonasKeyResultAsync()}/check-ins")),
            ["POST /api/key-results/{id}/check-ins"] = new("checkIn", async _ => new(HttpMethod.Post, $"/api/key-results/{await JonasKeyResultAsync()}/check-ins",
                new { value = 3, clientId = Unique("ci") })),

            ["GET /api/kpis"] = new("read", _ => Get("/api/kpis")),
            ["GET /api/kpis/{id}"] = new("read", _ => Get("/api/kpis/wau")),
            ["POST /api/kpis"] = new("changeTeam", _ => Task.FromResult(NewKpiCall())),
            ["DELETE /api/kpis/{id}"] = new("changeTeam", async _ => new(HttpMethod.Delete, $"/api/kpis/{await NewKpiAsync()}")),
            ["GET /api/kpis/{id}/measurements"] = new("read", _ => Get("/api/kpis/wau/measurements")),
            ["POST /api/kpis/{id}/measurements"] = new("measure", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/kpis/wau/measurements",
                new { value = 21000, clientId = Unique("m") }))),

            // Data sources of Jonas's key result: managed by Growth's lead, admins and the Growth service token (as for a
            // team's KPI); a push source has nothing to test or pull, so those who may get past the permission check get 409.
            ["GET /api/sources"] = new("read", async _ => new(HttpMethod.Get, $"/api/sources?nodeId={await JonasKeyResultAsync()}")),
            ["POST /api/sources"] = new("changeTeam", async _ => new(HttpMethod.Post, "/api/sources", new { keyResultId = await JonasKeyResultAsync(), name = "CI", kind = "push" })),
            ["GET /api/sources/{id}"] = new("read", async _ => new(HttpMethod.Get, $"/api/sources/{_jonasSource ??= await NewSourceAsync()}")),
            ["PATCH /api/sources/{id}"] = new("changeTeam", async _ => new(HttpMethod.Patch, $"/api/sources/{await NewSourceAsync()}", new { name = "Renamed" })),
            ["DELETE /api/sources/{id}"] = new("changeTeam", async _ => new(HttpMethod.Delete, $"/api/sources/{await NewSourceAsync()}")),
            ["POST /api/sources/{id}/token"] = new("changeTeam", async _ => new(HttpMethod.Post, $"/api/sources/{await NewSourceAsync()}/token")),
            ["DELETE /api/sources/{id}/token"] = new("changeTeam", async _ => new(HttpMethod.Delete, $"/api/sources/{await NewSourceAsync()}/token")),
            ["POST /api/sources/{id}/test"] = new("changeTeam", async _ => new(HttpMethod.Post, $"/api/sources/{await NewSourceAsync()}/test"), SourceManagersGet(409)),
            ["POST /api/sources/{id}/sync"] = new("changeTeam", async _ => new(HttpMethod.Post, $"/api/sources/{await NewSourceAsync()}/sync"), SourceManagersGet(409)),
            ["POST /api/ingest/{sourceId}"] = new("ingest", async _ => new(HttpMethod.Post, $"/api/ingest/{_jonasSource ??= await NewSourceAsync()}", new { value = 1 })),

            ["GET /api/alignment"] = new("read", _ => Get("/api/alignment")),
            ["GET /api/history/{nodeId}"] = new("read", async _ => new(HttpMethod.Get, $"/api/history/{await JonasKeyResultAsync()}")),

            ["GET /api/scenarios"] = new("read", _ => Get("/api/scenarios")),
            ["POST /api/scenarios"] = new("plan", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/scenarios", new { name = "A plan", cycleId = c }))),
            ["GET /api/scenarios/{id}"] = new("read", async _ => new(HttpMethod.Get, $"/api/scenarios/{await SofiasScenarioAsync()}")),
            ["PATCH /api/scenarios/{id}"] = new("planOwn", async _ => new(HttpMethod.Patch, $"/api/scenarios/{await SofiasScenarioAsync()}", new { name = "Renamed plan" })),
            ["POST /api/scenarios/{id}/moves"] = new("planOwn", async _ => new(HttpMethod.Post, $"/api/scenarios/{await SofiasScenarioAsync()}/moves",
                new { kind = "changeWeight", parentId = $"{c}:growth-activation", childId = $"{c}:activation-onboarding", weight = 2 })),
            ["DELETE /api/scenarios/{id}/moves/{index}"] = new("planOwn", async _ => new(HttpMethod.Delete, $"/api/scenarios/{await SofiasScenarioAsync(moves: 1)}/moves/0")),
            ["GET /api/scenarios/{id}/impact"] = new("read", async _ => new(HttpMethod.Get, $"/api/scenarios/{await SofiasScenarioAsync(moves: 1)}/impact")),
            ["GET /api/scenarios/{id}/sensitivity/{objectiveId}"] = new("read", async _ =>
                new(HttpMethod.Get, $"/api/scenarios/{await SofiasScenarioAsync()}/sensitivity/{c}:co-growth")),
            ["POST /api/scenarios/{id}/apply"] = new("planOwn", async _ => new(HttpMethod.Post, $"/api/scenarios/{await SofiasScenarioAsync(moves: 1)}/apply")),
            ["POST /api/scenarios/{id}/discard"] = new("planOwn", async _ => new(HttpMethod.Post, $"/api/scenarios/{await SofiasScenarioAsync()}/discard")),

            ["GET /api/me"] = new("read", _ => Get("/api/me")),
            ["GET /api/antiforgery"] = new("account", _ => Get("/api/antiforgery")),
            ["GET /api/tokens"] = new("account", _ => Get("/api/tokens")),
            ["POST /api/tokens"] = new("account", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/tokens", new { name = "script", scope = "read" }))),
            // Revoking one of Jonas's tokens: Jonas and admins; Sofia may use the endpoint but cannot see his token.
            ["DELETE /api/tokens/{id}"] = new("account", async _ => new(HttpMethod.Delete, $"/api/tokens/{await JonasTokenIdAsync()}"),
                new() { [LeadSession] = NotFound }),
            ["GET /api/service-tokens"] = new("admin", _ => Get("/api/service-tokens")),
            ["POST /api/service-tokens"] = new("admin", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/service-tokens", new { name = "CI", scope = "checkIn" }))),
            ["DELETE /api/service-tokens/{id}"] = new("admin", async _ => new(HttpMethod.Delete, $"/api/service-tokens/{await TokenIdAsync("/api/service-tokens", new { name = "doomed", scope = "read" })}")),
            ["GET /api/wall-links"] = new("share", _ => Get("/api/wall-links")),
            ["POST /api/wall-links"] = new("share", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/wall-links", new { name = "Growth TV", scope = "team:growth" }))),
            ["DELETE /api/wall-links/{id}"] = new("share", async _ => new(HttpMethod.Delete, $"/api/wall-links/{await TokenIdAsync("/api/wall-links", new { name = "old TV", scope = "team:growth" })}")),
            // Webhooks and check-in cadences: as wall links — a lead for the teams they lead, admins for all.
            ["GET /api/webhooks"] = new("share", _ => Get("/api/webhooks")),
            ["POST /api/webhooks"] = new("share", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/webhooks",
                new { name = "Growth alerts", url = "https://example.com/hooks/growth", events = new[] { "status.changed" }, scope = "team:growth" }))),
            ["GET /api/webhooks/{webhookId}"] = new("share", async _ => new(HttpMethod.Get, $"/api/webhooks/{await WebhookIdAsync()}")),
            ["PATCH /api/webhooks/{webhookId}"] = new("share", async _ => new(HttpMethod.Patch, $"/api/webhooks/{await WebhookIdAsync()}", new { name = "Renamed alerts" })),
            ["DELETE /api/webhooks/{webhookId}"] = new("share", async _ => new(HttpMethod.Delete, $"/api/webhooks/{await WebhookIdAsync()}")),
            ["GET /api/webhooks/{webhookId}/deliveries"] = new("share", async _ => new(HttpMethod.Get, $"/api/webhooks/{await WebhookIdAsync()}/deliveries")),
            ["GET /api/webhooks/{webhookId}/dead-letters"] = new("share", async _ => new(HttpMethod.Get, $"/api/webhooks/{await WebhookIdAsync()}/dead-letters")),
            ["POST /api/webhooks/{webhookId}/ping"] = new("share", async _ => new(HttpMethod.Post, $"/api/webhooks/{await WebhookIdAsync()}/ping")),
            // A delivery just made is pending: those allowed are told it goes again on its own (409).
            ["POST /api/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver"] = new("share", async _ =>
            {
                var hook = await WebhookIdAsync();
                using var ping = await host.Admin.PostAsync($"/api/webhooks/{hook}/ping", null, Ct);
                var delivery = (await ping.Content.ReadFromJsonAsync<JsonElement>(Json, Ct)).GetProperty("id").GetString();
                return new(HttpMethod.Post, $"/api/webhooks/{hook}/deliveries/{delivery}/redeliver");
            }, new() { [Admin] = 409, [LeadSession] = 409 }),
            ["GET /api/check-in-cadences"] = new("share", _ => Get("/api/check-in-cadences")),
            ["PUT /api/check-in-cadences/{teamId}"] = new("share", _ => Task.FromResult(new Call(HttpMethod.Put, "/api/check-in-cadences/growth",
                new { dayOfWeek = 1, time = "09:00", timeZone = "Europe/Berlin" }))),
            ["DELETE /api/check-in-cadences/{teamId}"] = new("share", async _ =>
            {
                using var set = await host.Admin.PutAsJsonAsync("/api/check-in-cadences/growth", new { dayOfWeek = 1, time = "09:00", timeZone = "Europe/Berlin" }, Json, Ct);
                set.EnsureSuccessStatusCode();
                return new(HttpMethod.Delete, "/api/check-in-cadences/growth");
            }),
            ["GET /api/users"] = new("admin", _ => Get("/api/users")),
            ["GET /api/users/{userId}"] = new("admin", _ => Get("/api/users/jonas-berg")),
            ["POST /api/users"] = new("admin", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/users",
                new { userName = Unique("user"), displayName = "New User", role = "viewer", password = "A-long-password-1" }))),
            ["PATCH /api/users/{userId}"] = new("admin", _ => Task.FromResult(new Call(HttpMethod.Patch, "/api/users/liam-oconnor", new { displayName = $"Liam O'Connor {Unique("")}" }))),
            ["GET /api/audit"] = new("admin", _ => Get("/api/audit?limit=5")),
            ["GET /api/activity/{nodeId}"] = new("read", async _ => new(HttpMethod.Get, $"/api/activity/{await JonasKeyResultAsync()}")),
            ["POST /api/demo/tokens"] = new("anyone", _ => Task.FromResult(new Call(HttpMethod.Post, "/api/demo/tokens", new { userId = "board-observer" }))),
            ["GET /openapi/v1.json"] = new("read", _ => Get("/openapi/v1.json")),
            // Prometheus text: admins with the admin scope (and the scrape token, a caller of its own: ObservabilityTests).
            ["GET /metrics"] = new("admin", _ => Get("/metrics")),
        };
    }

    [Fact]
    public async Task EveryEndpointAnswersEachCallerAsTheRolesSayAndARefusalChangesNothing()
    {
        var rows = Rows();
        var routes = await RouteTableAsync();
        var machine = routes.Where(r => r.Path.StartsWith("/api", StringComparison.Ordinal) || r.Path.StartsWith("/openapi", StringComparison.Ordinal)
            || r.Path.StartsWith("/metrics", StringComparison.Ordinal)).ToList();
        var missing = machine.Select(r => r.Key).Where(k => !rows.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, $"endpoints without a row in the permission matrix (decide who may use them): {string.Join(", ", missing)}");
        Assert.Empty(rows.Keys.Except(machine.Select(r => r.Key))); // and no row for an endpoint that is gone

        await JonasKeyResultAsync(); // the fixtures every state read looks at exist before the first one
        var failures = new List<string>();
        foreach (var (key, row) in rows)
        {
            var expected = new Dictionary<Caller, int>(Needs[row.Need]);
            foreach (var (caller, status) in row.Except ?? []) expected[caller] = status;
            var refused = expected.Where(e => e.Value is Unauthenticated or Forbidden or NotFound).Select(e => e.Key).ToList();

            // Refusals first (their requests built before the state is read: building one may set up a fixture), then:
            // nothing they touched may have changed.
            var calls = new List<(Caller, Call)>();
            foreach (var caller in refused) calls.Add((caller, await row.Make(caller)));
            var before = await StateAsync();
            foreach (var (caller, call) in calls) await CheckAsync(key, call, caller, expected[caller], failures);
            var after = await StateAsync();
            if (before != after) failures.Add($"{key}: a refused request changed the state");

            foreach (var caller in expected.Keys.Except(refused)) await CheckAsync(key, await row.Make(caller), caller, expected[caller], failures);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {rows.Count * Enum.GetValues<Caller>().Length} answers differ:\n" + string.Join("\n", failures));
    }

    private async Task CheckAsync(string key, Call call, Caller caller, int expected, List<string> failures)
    {
        using var request = new HttpRequestMessage(call.Method, call.Url);
        if (call.Body is not null) request.Content = JsonContent.Create(call.Body, options: Json);
        using var response = await host.Clients[caller].SendAsync(request, Ct);
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync(Ct);
        var matches = expected == Ok ? status is >= 200 and < 300 : status == expected;
        if (!matches)
        {
            failures.Add($"{key} as {caller}: expected {(expected == Ok ? "2xx" : expected)}, got {status} {Shorten(body)}");
            return;
        }
        if (expected is Unauthenticated or Forbidden)
        {
            // A refusal says which field and why, as a ProblemDetails.
            var problem = JsonNode.Parse(body)?.AsObject();
            if (problem?["field"] is null || string.IsNullOrWhiteSpace((string?)problem["reason"]))
                failures.Add($"{key} as {caller}: {status} without a field and reason: {Shorten(body)}");
            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{key} as {caller}: {status} is not application/problem+json");
        }
    }

    private static string Shorten(string body) => body.Length > 300 ? body[..300] + "…" : body;

    /// <summary>What a refusal must leave as it was: structure, accounts, tokens, wall links, scenarios, Jonas's key result's check-ins and the KPIs.</summary>
    private async Task<string> StateAsync()
    {
        var parts = new List<string>();
        foreach (var url in new[] { "/api/organisation", "/api/cycles", "/api/users", "/api/service-tokens", "/api/wall-links", "/api/tokens?all=true", "/api/scenarios", "/api/check-in-cadences" })
            parts.Add(await host.Admin.GetStringAsync(url, Ct));
        foreach (var cycle in (await host.Admin.GetFromJsonAsync<ImmutableArray<CycleInfo>>("/api/cycles", Json, Ct)).Select(c => c.Id))
        {
            var s = (await host.Admin.GetFromJsonAsync<JsonObject>($"/api/cycles/{cycle}/snapshot", Json, Ct))!;
            s.Remove("scores");
            s.Remove("takenAt");
            parts.Add(s.ToJsonString());
        }
        parts.Add(await host.Admin.GetStringAsync($"/api/key-results/{await JonasKeyResultAsync()}/check-ins", Ct));
        parts.Add(await host.Admin.GetStringAsync("/api/kpis/wau/measurements", Ct));
        // The token list's "last used" moves with every use, refused or not: leave it out.
        return System.Text.RegularExpressions.Regex.Replace(string.Join("\n", parts), "\"lastUsedAt\":(null|\"[^\"]*\")", "");
    }

    // ---- Fixtures, made by the admin through the API ---------------------------------------------------------

    private static object Jonas => new { kind = "person", id = "jonas-berg" };

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 12, 40)];

    private string? _jonasObjective;
    private string? _jonasKeyResult;

    private async Task<string> JonasObjectiveAsync() => _jonasObjective ??= await NewObjectiveAsync(host.CycleId, Jonas);

    private async Task<string> JonasKeyResultAsync() => _jonasKeyResult ??= await NewKeyResultAsync(host.CycleId, await JonasObjectiveAsync());

    private string? _jonasSource;

    /// <summary>A push source of Jonas's key result, made by the admin.</summary>
    private async Task<string> NewSourceAsync()
    {
        using var response = await host.Admin.PostAsJsonAsync("/api/sources", new { keyResultId = await JonasKeyResultAsync(), name = "Matrix source", kind = "push" }, Json, Ct);
        return (await ReadCreatedAsync(response)).GetProperty("source").GetProperty("id").GetString()!;
    }

    /// <summary>Who may manage a source of Jonas's key result (the "changeTeam" callers) gets this status instead of a 2xx.</summary>
    private static Dictionary<Caller, int> SourceManagersGet(int status) =>
        new() { [Admin] = status, [Lead] = status, [LeadSession] = status, [AdminWriteToken] = status, [GrowthService] = status };

    private async Task<string> NewObjectiveAsync(string cycle, object owner) =>
        await CreatedIdAsync(host.Admin, "/api/objectives", new { cycleId = cycle, title = "An objective of Jonas", owner });

    private async Task<string> NewKeyResultAsync(string cycle, string objective) =>
        await CreatedIdAsync(host.Admin, "/api/key-results", new { title = "A key result of Jonas", owner = Jonas, kind = "increase", start = 0, target = 10, objectiveId = objective, cycleId = cycle });

    private static Call NewCycleCall()
    {
        var start = DateTimeOffset.UtcNow.Date.AddYears(1);
        return new(HttpMethod.Post, "/api/cycles", new { id = Unique("cy"), name = "A later cycle", start, end = start.AddDays(90) });
    }

    private async Task<string> NewCycleAsync(bool closed = false)
    {
        var call = NewCycleCall();
        var id = await CreatedIdAsync(host.Admin, call.Url, call.Body!);
        if (closed) await AdminAsync(HttpMethod.Post, $"/api/cycles/{id}/close");
        return id;
    }

    private static Call NewKpiCall() => new(HttpMethod.Post, "/api/kpis", new
    {
        id = Unique("kpi"), name = "Growth signal", direction = "higherIsBetter", thresholds = new { green = 10, yellow = 5 }, baseline = 7,
        owner = new { kind = "team", id = "growth" },
    });

    private async Task<string> NewKpiAsync()
    {
        var call = NewKpiCall();
        using var response = await host.Admin.PostAsJsonAsync(call.Url, call.Body, Json, Ct);
        return (await ReadCreatedAsync(response)).GetProperty("definition").GetProperty("id").GetString()!;
    }

    /// <summary>A scenario Sofia (Growth's lead) started, optionally with a move of Jonas's key result inside Growth.</summary>
    private async Task<string> SofiasScenarioAsync(int moves = 0)
    {
        var sofia = host.Clients[LeadSession];
        var id = await CreatedIdAsync(sofia, "/api/scenarios", new { name = "Sofia's plan", cycleId = host.CycleId });
        for (var i = 0; i < moves; i++)
        {
            using var response = await sofia.PostAsJsonAsync($"/api/scenarios/{id}/moves",
                new { kind = "moveKeyResult", keyResultId = await NewKeyResultAsync(host.CycleId, await JonasObjectiveAsync()), objectiveId = await NewObjectiveAsync(host.CycleId, Jonas) }, Json, Ct);
            await ReadCreatedAsync(response);
        }
        return id;
    }

    private async Task<string> JonasTokenIdAsync()
    {
        using var response = await host.Clients[MemberSession].PostAsJsonAsync("/api/tokens", new { name = "to revoke", scope = "read" }, Json, Ct);
        return (await ReadCreatedAsync(response)).GetProperty("info").GetProperty("id").GetString()!;
    }

    private async Task<string> TokenIdAsync(string url, object body)
    {
        using var response = await host.Admin.PostAsJsonAsync(url, body, Json, Ct);
        return (await ReadCreatedAsync(response)).GetProperty("info").GetProperty("id").GetString()!;
    }

    /// <summary>A webhook of Growth's scope (Sofia leads Growth), made by the admin.</summary>
    private async Task<string> WebhookIdAsync()
    {
        using var response = await host.Admin.PostAsJsonAsync("/api/webhooks",
            new { name = "Growth hook", url = "https://example.com/hooks/growth", events = new[] { "status.changed" }, scope = "team:growth" }, Json, Ct);
        return (await ReadCreatedAsync(response)).GetProperty("webhook").GetProperty("id").GetString()!;
    }

    private async Task AdminAsync(HttpMethod method, string url)
    {
        using var response = await host.Admin.SendAsync(new HttpRequestMessage(method, url), Ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task<string> CreatedIdAsync(HttpClient client, string url, object body)
    {
        using var response = await client.PostAsJsonAsync(url, body, Json, Ct);
        return (await ReadCreatedAsync(response)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> ReadCreatedAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json, Ct);
    }

    // ---- The route table -------------------------------------------------------------------------------------

    /// <summary>A route of the host: "METHOD /pattern", with its authorization metadata.</summary>
    public sealed record Route(string Key, string Method, string Path, bool Anonymous, IReadOnlyList<string?> Policies, bool IsPage);

    /// <summary>
    /// The host's whole route table — API, sign-in endpoints, hub, pages — mapped by the host's own code
    /// (<see cref="WebEndpoints.MapOkrGrid"/>) on an application that is never started.
    /// </summary>
    public static async Task<List<Route>> RouteTableAsync()
    {
        // Named as the web host, so that its static assets' manifest (copied next to the tests) is found.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = "OkrGrid.Web" });
        builder.UseOrleansClient(client => client.UseLocalhostClustering());
        builder.Services.AddEngineClock();
        builder.Services.AddSingleton(_ => Npgsql.NpgsqlDataSource.Create("Host=unused")); // the silo's, in the host
        builder.Services.AddOkrGridApi();
        builder.Services.AddOkrGridLive(builder.Configuration);
        builder.AddOkrGridAccess();
        builder.Services.AddOkrGridDashboards();
        builder.AddOkrGridObservability();
        await using var app = builder.Build();
        app.MapOkrGrid();
        return [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            // Blazor's own endpoints (/_blazor, /_framework) and static files are not the application's routes.
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.TrimStart('/').StartsWith('_') && !raw.Contains('.') && !raw.Contains(":file") || e.RoutePattern.RawText == "/openapi/{documentName}.json")
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(method =>
            {
                var path = "/" + e.RoutePattern.RawText!.Trim('/');
                if (path == "/openapi/{documentName}.json") path = "/openapi/v1.json";
                return new Route($"{method} {path}", method, path, e.Metadata.GetMetadata<IAllowAnonymous>() is not null,
                    [.. e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy)],
                    e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null);
            }))];
    }

    [Fact]
    public async Task OnlyTheSignInPagesTheWallTheDemoTokenAndHealthAreOpenToAnyoneAndEveryOtherRouteNeedsAPolicy()
    {
        var routes = await RouteTableAsync();
        Assert.Contains(routes, r => r.Path == "/hubs/scorecard");
        // Pages are named by their path (each answers GET and, for its forms, POST).
        string Name(Route r) => r.IsPage ? $"page {r.Path}" : r.Key;
        var open = routes.Where(r => r.Anonymous || r.Policies.Count == 0).Select(Name).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal([
            "* /healthz", "* /healthz/live", "* /healthz/ready",
            "GET /account/external", "GET /account/external/callback",
            "POST /account/demo", "POST /account/login", "POST /account/logout", "POST /account/setup",
            "POST /api/demo/tokens", "POST /api/ingest/{sourceId}",
            "page /account/denied", "page /account/login", "page /account/setup", "page /not-found", "page /wall",
        ], open);
        // The hub needs its policy (which lets wall links in: the hub checks which scorecard they follow).
        Assert.All(routes.Where(r => r.Path.StartsWith("/hubs", StringComparison.Ordinal)), r => Assert.Contains(Policies.Hub, r.Policies));
        // Every page but those above needs a signed-in person.
        Assert.All(routes.Where(r => r.IsPage && !open.Contains(Name(r))), r => Assert.NotEmpty(r.Policies));
        Assert.True(routes.Count(r => r.IsPage && !open.Contains(Name(r))) >= 10, "the dashboards' pages are in the route table");
    }
}
