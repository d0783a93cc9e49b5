using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Integrations;

/// <summary>
/// Pull schedules live in <c>okr_sources</c>, not in memory: a host killed with -9 and started again on the same database
/// polls again without anyone touching the source (its silo's keep-alive sweep activates it), and the values flow.
/// </summary>
[Collection(SourcesCollection.Name)]
public sealed class SourcesRestartTests(SourcesHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APullSourceResumesItsScheduleAfterTheHostIsKilledAndStartedAgain()
    {
        var db = await ScratchDatabases.CreateAsync("srcrestart");
        var settings = new Dictionary<string, string>
        {
            ["Outbound__AllowPrivateNetworks"] = "true",
            ["Sources__MinimumInterval"] = "00:00:01",
            ["Sources__KeepAliveInterval"] = "00:00:02",
        };
        var path = $"/restart/{Guid.NewGuid():N}";
        host.Endpoints.Json(path, """{"n": 5}""");
        try
        {
            string kr;
            await using (var first = await WebProcess.StartAsync(db, seedDemo: false, settings))
            {
                var now = DateTimeOffset.UtcNow;
                await CreatedAsync(first.Client, "/api/cycles", new { id = "restart", name = "Restart", start = now.AddDays(-5), end = now.AddDays(60) });
                kr = (string)(await CreatedAsync(first.Client, "/api/key-results", new
                {
                    title = "Pulled", owner = new { kind = "company" }, kind = "increase", start = 0, target = 10, cycleId = "restart",
                }))["id"]!;
                await CreatedAsync(first.Client, "/api/sources", new { keyResultId = kr, name = "Counter", kind = "http", url = host.Endpoints.Url(path), jsonPath = "$.n", intervalSeconds = 1 });
                await UntilAsync(first.Client, kr, 5);
                first.Kill(); // no shutdown, no goodbye
            }
            host.Endpoints.Json(path, """{"n": 7}""");
            var hitsBefore = host.Endpoints.Hits[path];
            await using var second = await WebProcess.StartAsync(db, seedDemo: false, settings);
            // Nobody reads the key result or the source first: the sweep alone brings the schedule back.
            for (var deadline = DateTime.UtcNow.AddSeconds(30); host.Endpoints.Hits[path] == hitsBefore; await Task.Delay(100, Ct))
                Assert.True(DateTime.UtcNow < deadline, "the restarted host never pulled again");
            await UntilAsync(second.Client, kr, 7);
            var checkIns = (await second.Client.GetFromJsonAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr}/check-ins", SourcesHost.Json, Ct))!;
            Assert.Equal([5.0, 7.0], checkIns.Select(c => c.Value));
        }
        finally
        {
            await ScratchDatabases.DropAsync(db);
        }
    }

    private static async Task UntilAsync(HttpClient client, string kr, double value)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100, Ct))
        {
            if ((await client.GetFromJsonAsync<KeyResultView>($"/api/key-results/{kr}", SourcesHost.Json, Ct))!.Current == value) return;
            Assert.True(DateTime.UtcNow < deadline, $"{kr} never reached {value}");
        }
    }

    private static async Task<JsonObject> CreatedAsync(HttpClient client, string url, object body)
    {
        using var response = await client.PostAsJsonAsync(url, body, SourcesHost.Json, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>(SourcesHost.Json, Ct))!;
    }
}
