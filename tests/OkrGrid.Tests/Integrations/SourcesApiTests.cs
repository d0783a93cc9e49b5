using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OkrGrid.Sources;
using OkrGrid.Web.Hubs;

namespace OkrGrid.Tests.Integrations;

/// <summary>
/// Data sources through the real host: pushes to the ingest URL with the source's token, HTTP pulls from a real
/// Kestrel server and SQL pulls from a real PostgreSQL database — values as check-ins by the source, through the
/// cascade and onto a SignalR client; failures said and written nowhere else; secrets in no answer and no log line.
/// </summary>
[Collection(SourcesCollection.Name)]
public sealed class SourcesApiTests(SourcesHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static JsonSerializerOptions Json => SourcesHost.Json;
    private HttpClient Admin => host.Admin;

    // ---- Push ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task APushWithItsTokenIsACheckInByTheSourceThatRollsUpAndARetryAppliesOnce()
    {
        var (objective, kr) = await NewKeyResultAsync();
        var created = await CreateAsync(new { keyResultId = kr, name = "GitHub CI", kind = "push" });
        var token = (string)created["token"]!;
        var sourceId = (string)created["source"]!["id"]!;
        Assert.StartsWith("okri_", token);
        Assert.Equal($"{host.Web.BaseAddress.ToString().TrimEnd('/')}/api/ingest/{sourceId}", (string?)created["ingestUrl"]);

        using (var first = await PushAsync(sourceId, token, """{"value": 40, "id": "run-1"}"""))
        {
            await ExpectAsync(HttpStatusCode.Created, first);
            var body = (await first.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!;
            Assert.True((bool)body["applied"]!);
            Assert.Equal(kr, (string?)body["nodeId"]);
        }
        // The same id again: applied once.
        using (var retry = await PushAsync(sourceId, token, """{"value": 40, "id": "run-1"}"""))
        {
            await ExpectAsync(HttpStatusCode.OK, retry);
            Assert.False((bool)(await retry.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!["applied"]!);
        }
        // The Idempotency-Key header works as the id; the same id with another value is a client bug (422), not a retry.
        using (var reused = await PushAsync(sourceId, token, """{"value": 41}""", idempotencyKey: "run-1"))
            await ExpectAsync(HttpStatusCode.UnprocessableEntity, reused);
        // The bare number as text/plain.
        using (var text = await PushAsync(sourceId, token, "55", "text/plain"))
            await ExpectAsync(HttpStatusCode.Created, text);

        var checkIns = await CheckInsAsync(kr);
        Assert.Equal([40.0, 55.0], checkIns.Select(c => c.Value));
        Assert.All(checkIns, c =>
        {
            Assert.Equal($"source:{sourceId}", c.AuthorId);
            Assert.Equal("source:push", c.Via);
            Assert.Equal("GitHub CI", c.Author);
        });
        Assert.Equal(55, (await GetAsync<KeyResultView>($"/api/key-results/{kr}")).Current);
        await SettledAsync(objective, 0.55);

        var view = await GetAsync<SourceView>($"/api/sources/{sourceId}");
        Assert.Equal(55, view.Status.LastValue);
        Assert.True(view.HasToken);
        Assert.DoesNotContain(token, await Admin.GetStringAsync($"/api/sources?nodeId={kr}", Ct));
        Assert.DoesNotContain("okri_", await Admin.GetStringAsync($"/api/sources/{sourceId}", Ct));
    }

    [Fact]
    public async Task APushToAKpiIsAMeasurementByTheSource()
    {
        var kpi = $"kpi-{Guid.NewGuid():N}"[..16];
        using (var response = await Admin.PostAsJsonAsync("/api/kpis", new
        {
            id = kpi, name = "Build minutes", direction = "lowerIsBetter", thresholds = new { green = 100, yellow = 200 }, baseline = 150,
            owner = new { kind = "team", id = "growth" },
        }, Json, Ct)) await ExpectAsync(HttpStatusCode.Created, response);
        var created = await CreateAsync(new { kpiId = kpi, name = "CI minutes", kind = "push" });
        using (var push = await PushAsync((string)created["source"]!["id"]!, (string)created["token"]!, """{"value": 90, "note": "nightly"}"""))
            await ExpectAsync(HttpStatusCode.Created, push);
        var measurements = await GetAsync<ImmutableArray<Measurement>>($"/api/kpis/{kpi}/measurements");
        var m = Assert.Single(measurements);
        Assert.Equal((90.0, "nightly", "CI minutes", "source:push"), (m.Value, m.Note, m.Author, m.Via));
        Assert.Equal(Health.Green, (await GetAsync<KpiView>($"/api/kpis/{kpi}")).State.Health);
    }

    [Fact]
    public async Task AWrongMissingRotatedOrRevokedTokenIs401AndSaysNothingAboutTheSource()
    {
        var (_, kr) = await NewKeyResultAsync();
        var created = await CreateAsync(new { keyResultId = kr, name = "Sheet", kind = "push" });
        var sourceId = (string)created["source"]!["id"]!;
        var token = (string)created["token"]!;

        var reasons = new List<string>();
        async Task UnauthorizedAsync(string id, string? bearer)
        {
            using var response = await PushAsync(id, bearer, """{"value": 1}""");
            await ExpectAsync(HttpStatusCode.Unauthorized, response);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!;
            Assert.Equal("Authorization", (string?)problem["field"]);
            reasons.Add((string)problem["reason"]!);
        }
        await UnauthorizedAsync(sourceId, token + "x");
        await UnauthorizedAsync(sourceId, null);
        await UnauthorizedAsync(sourceId, host.Web.AdminToken); // an API token is no ingest token
        await UnauthorizedAsync(SourceRules.NewId(), token);    // no such source: the same answer
        await UnauthorizedAsync("not-a-source", token);
        Assert.Single(reasons.Distinct());

        // Never in the address (it would be logged).
        using (var query = await host.Web.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/ingest/{sourceId}?token={token}")
        { Content = new StringContent("1", Encoding.UTF8, "text/plain") }, Ct))
        {
            await ExpectAsync(HttpStatusCode.BadRequest, query);
            Assert.Equal("token", (string?)(await query.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!["field"]);
        }

        // Rotated: the old token stops, the new one works.
        var rotated = await SendAsync<JsonObject>(HttpMethod.Post, $"/api/sources/{sourceId}/token", null, HttpStatusCode.OK);
        var newToken = (string)rotated["token"]!;
        Assert.NotEqual(token, newToken);
        await UnauthorizedAsync(sourceId, token);
        using (var ok = await PushAsync(sourceId, newToken, "7", "text/plain")) await ExpectAsync(HttpStatusCode.Created, ok);

        // Revoked: nothing works until a new one is made.
        var revoked = await SendAsync<SourceView>(HttpMethod.Delete, $"/api/sources/{sourceId}/token", null, HttpStatusCode.OK);
        Assert.False(revoked.HasToken);
        await UnauthorizedAsync(sourceId, newToken);
        Assert.Single(await CheckInsAsync(kr));

        var actions = await ActivityAsync(kr);
        Assert.Contains(SourceAuditActions.Created, actions);
        Assert.Contains(SourceAuditActions.TokenRotated, actions);
        Assert.Contains(SourceAuditActions.TokenRevoked, actions);
    }

    [Fact]
    public async Task ABadPushIs400NamingTheFieldAndWritesNothing()
    {
        var (_, kr) = await NewKeyResultAsync();
        var created = await CreateAsync(new { keyResultId = kr, name = "Zap", kind = "push" });
        var sourceId = (string)created["source"]!["id"]!;
        var token = (string)created["token"]!;
        async Task RefusedAsync(HttpStatusCode status, string field, string body, string contentType = "application/json")
        {
            using var response = await PushAsync(sourceId, token, body, contentType);
            await ExpectAsync(status, response);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(field, (string?)(await response.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!["field"]);
        }
        await RefusedAsync(HttpStatusCode.BadRequest, "value", """{"value": "lots"}""");
        await RefusedAsync(HttpStatusCode.BadRequest, "value", """{"id": "x"}""");
        await RefusedAsync(HttpStatusCode.BadRequest, "value", """{"value": null}""");
        await RefusedAsync(HttpStatusCode.BadRequest, "value", """{"value": 1e300}""");   // the key result's own bound
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "forty-two", "text/plain");
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "", "text/plain");
        await RefusedAsync(HttpStatusCode.BadRequest, "colour", """{"value": 1, "colour": "red"}""");
        await RefusedAsync(HttpStatusCode.BadRequest, "at", """{"value": 1, "at": "yesterday"}""");
        await RefusedAsync(HttpStatusCode.BadRequest, "at", """{"value": 1, "at": "2999-01-01T00:00:00Z"}""");
        await RefusedAsync(HttpStatusCode.BadRequest, "body", """{"value": 1""");
        await RefusedAsync(HttpStatusCode.BadRequest, "id", $$"""{"value": 1, "id": "{{new string('x', 65)}}"}""");
        await RefusedAsync(HttpStatusCode.RequestEntityTooLarge, "body", $$"""{"value": 1, "note": "{{new string('n', 5000)}}"}""");
        await RefusedAsync(HttpStatusCode.UnsupportedMediaType, "Content-Type", "<value>1</value>", "application/xml");
        Assert.Empty(await CheckInsAsync(kr));
    }

    [Fact]
    public async Task PushesBeyondTheBurstAreRefusedWith429AndRetryAfter()
    {
        var (_, kr) = await NewKeyResultAsync();
        var created = await CreateAsync(new { keyResultId = kr, name = "Firehose", kind = "push" });
        var sourceId = (string)created["source"]!["id"]!;
        var token = (string)created["token"]!;
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var retryAfter = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, SourcesHost.PushBurst * 2).Select(async i =>
        {
            using var response = await PushAsync(sourceId, token, $$"""{"value": {{i}}, "id": "p{{i}}"}""");
            statuses.Add(response.StatusCode);
            if (response.Headers.RetryAfter is { } r) retryAfter.Add(r.ToString());
        }));
        var applied = statuses.Count(s => s == HttpStatusCode.Created);
        Assert.True(statuses.All(s => s is HttpStatusCode.Created or HttpStatusCode.TooManyRequests), string.Join(", ", statuses));
        Assert.InRange(applied, SourcesHost.PushBurst, SourcesHost.PushBurst * 2 - 1);
        Assert.NotEmpty(retryAfter);
        Assert.Equal(applied, (await CheckInsAsync(kr)).Length);
    }

    // ---- HTTP pull ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task AnHttpSourceFeedsTheKeyResultAndItsObjectiveLiveOnTheHub()
    {
        var (objective, kr) = await NewKeyResultAsync();
        var path = $"/live/{Guid.NewGuid():N}";
        host.Endpoints.Json(path, """{"data": {"items": [{"value": 12}, {"value": 99}]}}""");
        await using var hub = await HubAsync();
        await hub.InvokeAsync<NodeState>("SubscribeNode", kr, Ct);
        await hub.InvokeAsync<NodeState>("SubscribeNode", objective, Ct);

        var created = await CreateAsync(new
        {
            keyResultId = kr, name = "Warehouse API", kind = "http", url = host.Endpoints.Url(path), jsonPath = "$.data.items[0].value",
            intervalSeconds = 1, authHeaderValue = "Bearer pull-secret-41f2",
        });
        Assert.Null(created["token"]);
        var sourceId = (string)created["source"]!["id"]!;

        // The first pull runs at once; then every second, on the grain's own timer.
        await hub.Received.WaitAsync(r => r.TryGetValue(kr, out var s) && s.Value == 12 && r.TryGetValue(objective, out var o) && Math.Abs(o.Progress - 0.12) < 1e-9, Ct);
        host.Endpoints.Json(path, """{"data": {"items": [{"value": 30}]}}""");
        await hub.Received.WaitAsync(r => r.TryGetValue(kr, out var s) && s.Value == 30 && r.TryGetValue(objective, out var o) && Math.Abs(o.Progress - 0.30) < 1e-9, Ct);

        Assert.Contains("Bearer pull-secret-41f2", host.Endpoints.Authorizations[path]);
        // An unchanged value is a success, not another check-in.
        var hits = host.Endpoints.Hits[path];
        await UntilAsync(() => Task.FromResult(host.Endpoints.Hits[path] >= hits + 2), "two more pulls");
        var checkIns = await CheckInsAsync(kr);
        Assert.Equal([12.0, 30.0], checkIns.Select(c => c.Value));
        Assert.All(checkIns, c => Assert.Equal(("source:http", $"source:{sourceId}", "Warehouse API"), (c.Via, c.AuthorId, c.Author)));
        var view = await GetAsync<SourceView>($"/api/sources/{sourceId}");
        Assert.Equal((30.0, false, 0), (view.Status.LastValue, view.Status.Failing, view.Status.ConsecutiveFailures));
        Assert.Equal(1, view.IntervalSeconds);

        // Deleted: it stops pulling.
        using (var delete = await Admin.DeleteAsync($"/api/sources/{sourceId}", Ct)) await ExpectAsync(HttpStatusCode.NoContent, delete);
        using (var gone = await Admin.GetAsync($"/api/sources/{sourceId}", Ct)) await ExpectAsync(HttpStatusCode.NotFound, gone);
        Assert.Contains(SourceAuditActions.Deleted, await ActivityAsync(kr));
    }

    [Fact]
    public async Task AFailingHttpSourceSaysWhySinceWhenAndWritesNoCheckIn()
    {
        var (_, kr) = await NewKeyResultAsync();
        var path = $"/fails/{Guid.NewGuid():N}";
        host.Endpoints.Json(path, """{"data": {"items": [{"value": 10}]}}""");
        var created = await CreateAsync(new
        {
            keyResultId = kr, name = "Flaky API", kind = "http", url = host.Endpoints.Url(path), jsonPath = "$.data.items[0].value", intervalSeconds = 3600,
        });
        var sourceId = (string)created["source"]!["id"]!;
        await UntilAsync(async () => (await GetAsync<SourceView>($"/api/sources/{sourceId}")).Status.LastSuccessAt is not null, "the first pull");

        // "Test now" reads without writing.
        host.Endpoints.Json(path, """{"data": {"items": [{"value": 99}]}}""");
        var test = await SendAsync<SourceFetch>(HttpMethod.Post, $"/api/sources/{sourceId}/test", null, HttpStatusCode.OK);
        Assert.Equal((true, 99.0), (test.Ok, test.Value));
        Assert.Equal(10, (await GetAsync<SourceView>($"/api/sources/{sourceId}")).Status.LastValue);

        var failures = new (FakeEndpoints.Answer Answer, string Said)[]
        {
            (new(500, "oops"), "500"),
            (new(200, "<html>maintenance</html>", "text/html"), "not JSON"),
            (new(200, """{"data": {}}"""), "has no member 'items'"),
            (new(200, """{"data": {"items": []}}"""), "has 0 elements"),
            (new(200, """{"data": {"items": [{"value": "n/a"}]}}"""), "not a number"),
            (new(200, """{"data": {"items": [{"value": 1}]}}""", Delay: SourcesHost.OutboundTimeout * 3), "timed out"),
            (new(200, "", HugeBytes: SourcesHost.MaxResponseBytes * 16), "larger than the limit"),
        };
        DateTimeOffset? since = null;
        for (var i = 0; i < failures.Length; i++)
        {
            host.Endpoints.Set(path, failures[i].Answer);
            var view = await SendAsync<SourceView>(HttpMethod.Post, $"/api/sources/{sourceId}/sync", null, HttpStatusCode.OK);
            Assert.True(view.Status.Failing, $"failure {i} ({failures[i].Said}) not shown");
            Assert.Contains(failures[i].Said, view.Status.LastError);
            Assert.Equal(i + 1, view.Status.ConsecutiveFailures);
            since ??= view.Status.FailingSince;
            Assert.Equal(since, view.Status.FailingSince);
            Assert.Equal(10, view.Status.LastValue); // the last good value, not a stale one passed off as new
        }
        // Nothing but the first value was written; the failure is in the audit once.
        Assert.Equal([10.0], (await CheckInsAsync(kr)).Select(c => c.Value));
        Assert.Equal(10, (await GetAsync<KeyResultView>($"/api/key-results/{kr}")).Current);
        Assert.Single(await ActivityAsync(kr), SourceAuditActions.Failing);

        // Recovered.
        host.Endpoints.Json(path, """{"data": {"items": [{"value": "11.5"}]}}""");
        var recovered = await SendAsync<SourceView>(HttpMethod.Post, $"/api/sources/{sourceId}/sync", null, HttpStatusCode.OK);
        Assert.Equal((false, null, 0, 11.5), (recovered.Status.Failing, recovered.Status.LastError, recovered.Status.ConsecutiveFailures, recovered.Status.LastValue));
        Assert.Equal([10.0, 11.5], (await CheckInsAsync(kr)).Select(c => c.Value));
        Assert.Contains(SourceAuditActions.Recovered, await ActivityAsync(kr));
    }

    // ---- SQL pull -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task ASqlSourceReadsOneNumberInAReadOnlyTransactionAndSaysWhatIsWrongOtherwise()
    {
        var (objective, kr) = await NewKeyResultAsync(target: 400);
        var created = await CreateAsync(new
        {
            keyResultId = kr, name = "Sales warehouse", kind = "sql", connectionString = host.WarehouseWithPassword,
            query = "select sum(amount) from sales;", intervalSeconds = 3600,
        });
        var sourceId = (string)created["source"]!["id"]!;
        Assert.Equal("select sum(amount) from sales;", (string?)created["source"]!["query"]);
        Assert.EndsWith($"/{new NpgsqlConnectionStringBuilder(host.WarehouseConnectionString).Database}", (string?)created["source"]!["sqlTarget"]);
        await UntilAsync(async () => (await GetAsync<KeyResultView>($"/api/key-results/{kr}")).Current == 200, "the sum of sales as the key result's value");
        await SettledAsync(objective, 0.5);
        Assert.Equal("source:sql", Assert.Single(await CheckInsAsync(kr)).Via);

        async Task FailsWithAsync(string query, string said)
        {
            var edited = await SendAsync<SourceView>(HttpMethod.Patch, $"/api/sources/{sourceId}", new { query }, HttpStatusCode.OK);
            Assert.Equal(query, edited.Query);
            var view = await SendAsync<SourceView>(HttpMethod.Post, $"/api/sources/{sourceId}/sync", null, HttpStatusCode.OK);
            Assert.True(view.Status.Failing, $"'{query}' did not fail");
            Assert.Contains(said, view.Status.LastError);
        }
        await FailsWithAsync("select region from sales order by region limit 1", "not a number");
        await FailsWithAsync("select amount from sales", "more than one row");
        await FailsWithAsync("select amount, region from sales limit 1", "2 columns");
        await FailsWithAsync("select amount from sales where false", "no row");
        await FailsWithAsync("select null::numeric", "null");
        await FailsWithAsync("delete from notes returning id", "read-only transaction");
        await FailsWithAsync("select pg_sleep(5)::text::int", "statement timeout");
        Assert.Single(await CheckInsAsync(kr));
        await using (var warehouse = new NpgsqlConnection(host.WarehouseConnectionString))
        {
            await warehouse.OpenAsync(Ct);
            await using var count = new NpgsqlCommand("select count(*) from notes", warehouse);
            Assert.Equal(1L, await count.ExecuteScalarAsync(Ct)); // the delete did not happen
        }

        // One statement only: nothing may follow the read-only transaction's first command.
        await RefusedAsync(HttpMethod.Patch, $"/api/sources/{sourceId}", new { query = "select 1; commit; delete from notes" }, HttpStatusCode.BadRequest, "query");
        // SQL sources are for admins: Growth's lead may not add one, even to a key result of Growth.
        var sofia = await host.ClientOfAsync("sofia-alvarez");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "Mine", kind = "sql", connectionString = host.WarehouseConnectionString, query = "select 1" },
            HttpStatusCode.Forbidden, "kind", sofia);
        Assert.DoesNotContain(SourcesHost.WarehousePassword, await Admin.GetStringAsync($"/api/sources?nodeId={kr}", Ct));
    }

    // ---- Settings and who sees what ------------------------------------------------------------------------------

    [Fact]
    public async Task SettingsThatCannotWorkAreRefusedNamingTheFieldAndNothingIsMade()
    {
        var (_, kr) = await NewKeyResultAsync();
        var url = host.Endpoints.Url("/settings");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x" }, HttpStatusCode.BadRequest, "kind");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, kind = "push" }, HttpStatusCode.BadRequest, "name");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { name = "x", kind = "push" }, HttpStatusCode.BadRequest, "keyResultId");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, kpiId = "wau", name = "x", kind = "push" }, HttpStatusCode.BadRequest, "kpiId");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = $"{host.CycleId}:nope", name = "x", kind = "push" }, HttpStatusCode.NotFound, "keyResultId");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { kpiId = "no-such-kpi", name = "x", kind = "push" }, HttpStatusCode.NotFound, "kpiId");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "push", url }, HttpStatusCode.BadRequest, "url");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "push", intervalSeconds = 60 }, HttpStatusCode.BadRequest, "intervalSeconds");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "http", jsonPath = "$.v" }, HttpStatusCode.BadRequest, "url");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "http", url = "ftp://example.com/x", jsonPath = "$.v" }, HttpStatusCode.BadRequest, "url");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "http", url }, HttpStatusCode.BadRequest, "jsonPath");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "http", url, jsonPath = "data.value" }, HttpStatusCode.BadRequest, "jsonPath");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "http", url, jsonPath = "$.items[*].v" }, HttpStatusCode.BadRequest, "jsonPath");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "http", url, jsonPath = "$.v", intervalSeconds = 0 }, HttpStatusCode.BadRequest, "intervalSeconds");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "http", url, jsonPath = "$.v", authHeaderName = "Host", authHeaderValue = "x" }, HttpStatusCode.BadRequest, "authHeaderName");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "http", url, jsonPath = "$.v", authHeaderValue = "a\r\nInjected: 1" }, HttpStatusCode.BadRequest, "authHeaderValue");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "sql", query = "select 1" }, HttpStatusCode.BadRequest, "connectionString");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "sql", connectionString = "this is not one", query = "select 1" }, HttpStatusCode.BadRequest, "connectionString");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "sql", connectionString = host.WarehouseConnectionString + ";Passfile=/etc/passwd", query = "select 1" }, HttpStatusCode.BadRequest, "connectionString");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "x", kind = "sql", connectionString = host.WarehouseConnectionString }, HttpStatusCode.BadRequest, "query");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "  ", kind = "push" }, HttpStatusCode.BadRequest, "name");

        // A KPI-linked key result takes its value from its KPI: the source belongs there.
        var linked = await CreatedIdAsync("/api/key-results", new { title = "Follows WAU", owner = new { kind = "team", id = "growth" }, kind = "kpiLinked", start = 0, target = 10, kpiId = "wau", cycleId = host.CycleId });
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = linked, name = "x", kind = "push" }, HttpStatusCode.BadRequest, "keyResultId");

        // Unknown sources, and ids that cannot be one.
        using (var missing = await Admin.GetAsync($"/api/sources/{SourceRules.NewId()}", Ct)) await ExpectAsync(HttpStatusCode.NotFound, missing);
        using (var odd = await Admin.GetAsync("/api/sources/definitely-not", Ct)) await ExpectAsync(HttpStatusCode.NotFound, odd);
        using (var noNode = await Admin.GetAsync("/api/sources", Ct)) await ExpectAsync(HttpStatusCode.BadRequest, noNode);
        Assert.Empty(await GetAsync<ImmutableArray<SourceView>>($"/api/sources?nodeId={kr}"));
    }

    [Fact]
    public async Task MembersAndViewersSeeThatASourceExistsAndHowItFaresButNotWhereItReads()
    {
        var (_, kr) = await NewKeyResultAsync();
        var path = $"/visible/{Guid.NewGuid():N}";
        host.Endpoints.Json(path, """{"v": 3}""");
        var created = await CreateAsync(new { keyResultId = kr, name = "Metrics", kind = "http", url = host.Endpoints.Url(path), jsonPath = "$.v", intervalSeconds = 3600, authHeaderName = "X-Api-Key", authHeaderValue = "key-7d1e" });
        var sourceId = (string)created["source"]!["id"]!;
        Assert.Equal(host.Endpoints.Url(path), (string?)created["source"]!["url"]);
        Assert.DoesNotContain("key-7d1e", created.ToJsonString());

        foreach (var who in new[] { "jonas-berg", "board-observer" })
        {
            var client = await host.ClientOfAsync(who);
            var listed = Assert.Single((await client.GetFromJsonAsync<ImmutableArray<SourceView>>($"/api/sources?nodeId={kr}", Json, Ct))!);
            Assert.Equal(("Metrics", SourceKind.Http, false), (listed.Name, listed.Kind, listed.CanManage));
            Assert.Null(listed.Url);
            Assert.Null(listed.JsonPath);
            Assert.Null(listed.AuthHeaderName);
            Assert.Null(listed.HasAuthHeader);
            Assert.DoesNotContain(path, await client.GetStringAsync($"/api/sources/{sourceId}", Ct));
        }
        // Jonas owns the key result but manages no source; Sofia leads Growth and does.
        var jonas = await host.ClientOfAsync("jonas-berg");
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = kr, name = "Mine", kind = "push" }, HttpStatusCode.Forbidden, "sourceId", jonas);
        await RefusedAsync(HttpMethod.Post, $"/api/sources/{sourceId}/test", null, HttpStatusCode.Forbidden, "sourceId", jonas);
        var sofia = await host.ClientOfAsync("sofia-alvarez");
        var mine = (await sofia.GetFromJsonAsync<SourceView>($"/api/sources/{sourceId}", Json, Ct))!;
        Assert.Equal((true, "X-Api-Key", (bool?)true), (mine.CanManage, mine.AuthHeaderName, mine.HasAuthHeader));
        using (var made = await sofia.PostAsJsonAsync("/api/sources", new { keyResultId = kr, name = "Sofia's push", kind = "push" }, Json, Ct))
            await ExpectAsync(HttpStatusCode.Created, made);
        // Not on a company key result: that takes an admin.
        var (_, companyKr) = await NewKeyResultAsync(owner: new { kind = "company" });
        await RefusedAsync(HttpMethod.Post, "/api/sources", new { keyResultId = companyKr, name = "x", kind = "push" }, HttpStatusCode.Forbidden, "sourceId", sofia);
    }

    [Fact]
    public async Task NoSecretIsInAnyAnswerOrLogLine()
    {
        var (_, kr) = await NewKeyResultAsync();
        var push = await CreateAsync(new { keyResultId = kr, name = "Logged push", kind = "push" });
        var token = (string)push["token"]!;
        var pushId = (string)push["source"]!["id"]!;
        var path = $"/secret/{Guid.NewGuid():N}";
        host.Endpoints.Set(path, new(503, "down"));
        const string header = "Bearer header-secret-93ab";
        var http = await CreateAsync(new { keyResultId = kr, name = "Logged pull", kind = "http", url = host.Endpoints.Url(path), jsonPath = "$.v", intervalSeconds = 3600, authHeaderValue = header });
        var sql = await CreateAsync(new { keyResultId = kr, name = "Logged SQL", kind = "sql", connectionString = host.WarehouseWithPassword, query = "select x from missing_table", intervalSeconds = 3600 });

        using (var ok = await PushAsync(pushId, token, "5", "text/plain")) await ExpectAsync(HttpStatusCode.Created, ok);
        using (var bad = await PushAsync(pushId, token[..^2] + "zz", "5", "text/plain")) await ExpectAsync(HttpStatusCode.Unauthorized, bad);
        var httpView = await SendAsync<SourceView>(HttpMethod.Post, $"/api/sources/{(string)http["source"]!["id"]!}/sync", null, HttpStatusCode.OK);
        var sqlView = await SendAsync<SourceView>(HttpMethod.Post, $"/api/sources/{(string)sql["source"]!["id"]!}/sync", null, HttpStatusCode.OK);
        Assert.Contains("503", httpView.Status.LastError);
        Assert.Contains("missing_table", sqlView.Status.LastError);
        Assert.Contains(header, host.Endpoints.Authorizations[path]); // it was sent…

        var answers = string.Join("\n", await Admin.GetStringAsync($"/api/sources?nodeId={kr}", Ct),
            await (await host.ClientOfAsync("sofia-alvarez")).GetStringAsync($"/api/sources?nodeId={kr}", Ct),
            await Admin.GetStringAsync($"/api/activity/{kr}", Ct), await Admin.GetStringAsync($"/api/audit?nodeId={kr}", Ct));
        // …and the pulls' failures were logged (the host logs at Information here), but no secret ever.
        await UntilAsync(() => Task.FromResult(host.Web.Output.Contains((string)sql["source"]!["id"]!)), "the failing SQL source's log line");
        foreach (var secret in new[] { token, token[5..], "header-secret-93ab", SourcesHost.WarehousePassword })
        {
            Assert.DoesNotContain(secret, answers);
            Assert.DoesNotContain(secret, host.Web.Output);
        }
    }

    // ---- Helpers ------------------------------------------------------------------------------------------------

    private async Task<(string Objective, string KeyResult)> NewKeyResultAsync(double target = 100, object? owner = null)
    {
        var objective = await CreatedIdAsync("/api/objectives", new { cycleId = host.CycleId, title = "Sourced objective", owner = new { kind = "team", id = "growth" } });
        var kr = await CreatedIdAsync("/api/key-results", new
        {
            title = "Sourced key result", owner = owner ?? new { kind = "person", id = "jonas-berg" }, kind = "increase", start = 0, target, objectiveId = objective,
        });
        return (objective, kr);
    }

    private async Task<string> CreatedIdAsync(string url, object body)
    {
        using var response = await Admin.PostAsJsonAsync(url, body, Json, Ct);
        await ExpectAsync(HttpStatusCode.Created, response);
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!["id"]!;
    }

    private async Task<JsonObject> CreateAsync(object body)
    {
        using var response = await Admin.PostAsJsonAsync("/api/sources", body, Json, Ct);
        await ExpectAsync(HttpStatusCode.Created, response);
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!;
        Assert.Equal($"/api/sources/{(string)created["source"]!["id"]!}", response.Headers.Location?.OriginalString);
        return created;
    }

    private async Task<HttpResponseMessage> PushAsync(string sourceId, string? token, string body, string contentType = "application/json", string? idempotencyKey = null)
    {
        using var client = new HttpClient { BaseAddress = host.Web.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/ingest/{sourceId}") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request, Ct);
    }

    private async Task<T> GetAsync<T>(string url)
    {
        using var response = await Admin.GetAsync(url, Ct);
        await ExpectAsync(HttpStatusCode.OK, response);
        return (await response.Content.ReadFromJsonAsync<T>(Json, Ct))!;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string url, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        using var response = await Admin.SendAsync(request, Ct);
        await ExpectAsync(expected, response);
        return (await response.Content.ReadFromJsonAsync<T>(Json, Ct))!;
    }

    private async Task RefusedAsync(HttpMethod method, string url, object? body, HttpStatusCode status, string field, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        using var response = await (client ?? Admin).SendAsync(request, Ct);
        await ExpectAsync(status, response);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!;
        Assert.True(field == (string?)problem["field"], $"{method} {url}: field {(string?)problem["field"]}, expected {field}: {problem.ToJsonString()}");
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["reason"]));
    }

    private async Task<ImmutableArray<CheckIn>> CheckInsAsync(string kr) => await GetAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr}/check-ins");

    private async Task<List<string>> ActivityAsync(string nodeId)
    {
        var page = await GetAsync<JsonObject>($"/api/activity/{nodeId}");
        return [.. page["entries"]!.AsArray().Select(e => (string)e!["action"]!)];
    }

    private async Task SettledAsync(string objective, double progress) =>
        await UntilAsync(async () => Math.Abs((await GetAsync<ObjectiveView>($"/api/objectives/{objective}")).Score.Progress - progress) < 1e-9, $"{objective} at {progress}");

    private static async Task ExpectAsync(HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Polls until the condition holds; fails after 15 s (the machine is shared; nothing here should take more than a few).</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(50, Ct))
            if (await done()) return;
        Assert.Fail($"waited 15 s for {what}");
    }

    private async Task<LiveHub> HubAsync()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(host.Web.BaseAddress, ScorecardHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(host.Web.AdminToken))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)))
            .Build();
        var hub = new LiveHub(connection);
        await connection.StartAsync(Ct);
        return hub;
    }

    /// <summary>A real SignalR client of the host's hub, keeping the latest pushed score of each node.</summary>
    private sealed class LiveHub : IAsyncDisposable
    {
        private readonly HubConnection _connection;

        public LiveHub(HubConnection connection)
        {
            _connection = connection;
            connection.On<NodeChange[]>("changes", changes =>
            {
                foreach (var c in changes.Where(c => c.Score is not null)) Received.Set(c.NodeId, c.Score!);
            });
        }

        public Latest Received { get; } = new();

        public Task<T> InvokeAsync<T>(string method, string arg, CancellationToken ct) => _connection.InvokeAsync<T>(method, arg, ct);

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }

    private sealed class Latest
    {
        private readonly ConcurrentDictionary<string, NodeScore> _scores = new();

        public void Set(string id, NodeScore score) => _scores.AddOrUpdate(id, score, (_, old) => old.Version >= score.Version ? old : score);

        public async Task WaitAsync(Func<IReadOnlyDictionary<string, NodeScore>, bool> done, CancellationToken ct)
        {
            for (var deadline = DateTime.UtcNow.AddSeconds(15); !done(_scores); await Task.Delay(20, ct))
                if (DateTime.UtcNow > deadline)
                    Assert.Fail("expected pushes did not arrive; got " + string.Join(", ", _scores.Select(kv => $"{kv.Key}={kv.Value.Value}/{kv.Value.Progress}@{kv.Value.Version}")));
        }
    }
}
