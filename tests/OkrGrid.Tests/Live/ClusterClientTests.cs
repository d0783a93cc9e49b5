using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Tests.Engine;
using OkrGrid.Web.Hubs;

namespace OkrGrid.Tests.Live;

/// <summary>
/// Two real web hosts: A co-hosts the silo, B joins it as a cluster client (Cluster:Mode=Client). A check-in posted
/// to either reaches SignalR clients of the other — each host hears the change feed through its own observer.
/// </summary>
public sealed class ClusterClientTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = DemoHostFixture.Json;
    private string _db = "";
    private WebProcess _silo = null!;
    private WebProcess _client = null!;
    private string _cycleId = "";

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync("cluster");
        var gateway = WebProcess.FreePort();
        _silo = await WebProcess.StartAsync(_db, environment: new Dictionary<string, string> { ["Cluster__GatewayPort"] = gateway.ToString(CultureInfo.InvariantCulture) });
        // The client host runs no silo but reads accounts and tokens from the service's database (the demo's, so its
        // admin is the demo's).
        _client = await WebProcess.StartAsync(_db, seedDemo: true, environment: new Dictionary<string, string>
        {
            ["Cluster__Mode"] = "Client",
            ["Cluster__Gateways__0"] = $"127.0.0.1:{gateway}",
        });
        var org = (await _client.Client.GetFromJsonAsync<OrganisationView>("/api/organisation", Json))!;
        _cycleId = org.Cycles.Single().Id;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        if (_silo is not null) await _silo.DisposeAsync();
        await TestDatabase.DropAsync(_db);
    }

    [Fact]
    public async Task ACheckInOnEitherHostReachesHubClientsOfTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        var companyObjective = $"{_cycleId}:co-growth";
        var kr = $"{_cycleId}:growth-logos";

        await using var onClient = await ConnectAsync(_client, ct);
        await using var onSilo = await ConnectAsync(_silo, ct);
        var seenOnClient = Record(onClient);
        var seenOnSilo = Record(onSilo);
        var start = await onClient.InvokeAsync<NodeState>("SubscribeNode", companyObjective, ct);
        await onSilo.InvokeAsync<NodeState>("SubscribeNode", companyObjective, ct);

        // Posted to the silo host, pushed by the client host.
        await CheckInAsync(_silo, kr, 7, ct);
        var afterFirst = await ProgressAsync(_silo, companyObjective, ct);
        Assert.NotEqual(start.Score!.Progress, afterFirst);
        await WaitForAsync(seenOnClient, companyObjective, afterFirst, ct);

        // Posted to the client host (through the cluster client), pushed by the silo host.
        await CheckInAsync(_client, kr, 11, ct);
        var afterSecond = await ProgressAsync(_client, companyObjective, ct);
        Assert.NotEqual(afterFirst, afterSecond);
        await WaitForAsync(seenOnSilo, companyObjective, afterSecond, ct);
        await WaitForAsync(seenOnClient, companyObjective, afterSecond, ct);
    }

    private static ConcurrentDictionary<string, NodeScore> Record(HubConnection connection)
    {
        var latest = new ConcurrentDictionary<string, NodeScore>();
        connection.On<NodeChange[]>("changes", changes =>
        {
            foreach (var c in changes)
                if (c.Score is { } s) latest.AddOrUpdate(c.NodeId, s, (_, held) => held.Version >= s.Version ? held : s);
        });
        return latest;
    }

    private static async Task<HubConnection> ConnectAsync(WebProcess web, CancellationToken ct)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(web.BaseAddress, ScorecardHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(web.AdminToken))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)))
            .Build();
        await connection.StartAsync(ct);
        return connection;
    }

    private static async Task CheckInAsync(WebProcess web, string kr, double value, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{kr}/check-ins") { Content = JsonContent.Create(new { value }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await web.Client.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>
    /// The objective's progress once its roll-up has settled: two reads 200 ms apart at the same version (each level
    /// moves within a 20 ms coalescing tick), rather than a fixed pause that a loaded machine can outlast.
    /// </summary>
    private static async Task<double> ProgressAsync(WebProcess web, string objective, CancellationToken ct)
    {
        NodeScore? previous = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200, ct))
        {
            var score = (await web.Client.GetFromJsonAsync<ObjectiveView>($"/api/objectives/{objective}", Json, ct))!.Score;
            if (previous is not null && previous.Version == score.Version) return score.Progress;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{objective} did not settle in 30 s.");
            previous = score;
        }
    }

    private static async Task WaitForAsync(ConcurrentDictionary<string, NodeScore> seen, string id, double progress, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(seen.TryGetValue(id, out var s) && s.Progress.Equals(progress)))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{id} never reached {progress} on this host; last {(seen.TryGetValue(id, out var l) ? l.Progress : null)}");
            await Task.Delay(20, ct);
        }
    }
}
