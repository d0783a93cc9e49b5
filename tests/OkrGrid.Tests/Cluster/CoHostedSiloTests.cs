using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OkrGrid.Tests.Engine;
using OkrGrid.Web.Hubs;
using OkrGrid.Workload;

namespace OkrGrid.Tests.Cluster;

/// <summary>
/// A web host whose silo runs inside it (Cluster:Mode Embedded) joins a cluster through the membership table in
/// PostgreSQL beside a standalone silo — the "co-hosted" deployment: both are members, the graph spreads over both,
/// check-ins through the web host cascade across the two silos to the same scores as the pure reference, and the web
/// host's board (what its pages and hub show) follows the nodes that live on the other silo.
/// </summary>
public sealed class CoHostedSiloTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private const string ClusterId = "okrgrid-cohosted";
    private const string CompanyId = "lumen";
    private string _db = "";
    private SiloProcess? _silo;
    private WebProcess? _web;
    private IHost? _client;

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync("cohosted");
        _silo = await SiloProcess.StartAsync(_db, "silo-0", ClusterId);
        _web = await WebProcess.StartAsync(_db, seedDemo: false, environment: new Dictionary<string, string>
        {
            ["Cluster__Membership"] = "Database",
            ["Cluster__ClusterId"] = ClusterId,
            ["Cluster__SiloName"] = "web-0",
            ["Cluster__AdvertisedIP"] = "127.0.0.1",
        });
        _client = await ClusterClient.StartAsync(ClusterId, _db);
    }

    public async ValueTask DisposeAsync()
    {
        await ClusterClient.StopAsync(_client);
        if (_web is not null) await _web.DisposeAsync();
        if (_silo is not null) await _silo.DisposeAsync();
        await TestDatabase.DropAsync(_db);
    }

    [Fact]
    public async Task AWebHostWithItsOwnSiloJoinsTheClusterAndCheckInsCascadeAcrossBothSilos()
    {
        var ct = TestContext.Current.CancellationToken;
        var web = _web!;
        var grains = _client!.Services.GetRequiredService<IClusterClient>();

        // Both are active members of one cluster.
        await using (var connection = new NpgsqlConnection(_db))
        {
            await connection.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("select silo_name from orleansmembershiptable where deployment_id = @c and status = 3 order by silo_name", connection);
            cmd.Parameters.AddWithValue("c", ClusterId);
            var active = new List<string>();
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) active.Add(reader.GetString(0));
            Assert.Equal(["silo-0", "web-0"], active);
        }

        // The organisation, imported through the grain client and activated: its nodes spread over both silos.
        var org = OrgGenerator.Generate(80, seed: 21, OrgGenerator.QuarterAround(DateTimeOffset.UtcNow, "cohosted")).AsCompany(CompanyId);
        await EngineImport.ImportAsync(grains, org);
        await EngineImport.ActivateAllAsync(grains, org);
        var nodeIds = org.Objectives.Select(o => o.Id).Concat(org.KeyResults.Select(k => k.Id)).ToHashSet();
#pragma warning disable xUnit1051 // a grain call: Orleans passes no test token through it
        var placement = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics().WaitAsync(ct);
#pragma warning restore xUnit1051
        var nodesBySilo = placement.Where(s => nodeIds.Contains(s.GrainId.Key.ToString()!))
            .GroupBy(s => s.SiloAddress).ToDictionary(g => g.Key, g => g.Select(s => s.GrainId.Key.ToString()!).ToList());
        Assert.True(nodesBySilo.Count == 2, $"the nodes live on {nodesBySilo.Count} silo(s), not on both");
        var standalone = nodesBySilo.Single(s => s.Key.Endpoint.Port == _silo!.SiloPort).Value;
        TestContext.Current.TestOutputHelper?.WriteLine($"{standalone.Count} of {nodeIds.Count} nodes on the standalone silo");

        // A hub client of the web host follows key results that live on the standalone silo.
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(web.BaseAddress, ScorecardHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(web.AdminToken))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)))
            .Build();
        var latest = new System.Collections.Concurrent.ConcurrentDictionary<string, NodeScore>();
        hub.On<NodeChange[]>("changes", changes =>
        {
            foreach (var c in changes)
                if (c.Score is { } s) latest.AddOrUpdate(c.NodeId, s, (_, held) => held.Version >= s.Version ? held : s);
        });
        await hub.StartAsync(ct);
        var manual = org.KeyResults.Where(k => k.Kind is KeyResultKind.Increase or KeyResultKind.Decrease).ToList();
        var followed = manual.Where(k => standalone.Contains(k.Id)).Take(20).ToList();
        Assert.NotEmpty(followed);
        foreach (var kr in followed) await hub.InvokeAsync<NodeState>("SubscribeNode", kr.Id, ct);

        // Check-ins through the web host's API on every manual key result, wherever it lives.
        var rng = new Random(21);
        var expected = new Dictionary<string, double>();
        foreach (var kr in manual)
        {
            var value = Math.Round(kr.Start + (kr.Target - kr.Start) * rng.NextDouble(), 3);
            using var response = await web.Client.PostAsJsonAsync($"/api/key-results/{kr.Id}/check-ins", new { value, note = "co-hosted", clientId = $"co-{kr.Id}" }, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{kr.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            expected[kr.Id] = value;
        }

        // Every node equals the pure reference over what is stored, read through the web host.
        var histories = new Dictionary<string, ImmutableArray<CheckIn>>();
        foreach (var kr in org.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked))
            histories[kr.Id] = (await web.Client.GetFromJsonAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr.Id}/check-ins", Json, ct))!;
        Assert.All(expected, e => Assert.Equal(e.Value, histories[e.Key].Last().Value));
        List<string> diffs = [];
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var snapshot = (await web.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{org.Cycle.Id}/snapshot", Json, ct))!;
            var kpiValues = new Dictionary<string, double?>();
            foreach (var kpiId in snapshot.KeyResults.Where(k => k.KpiId is not null).Select(k => k.KpiId!).Distinct())
                kpiValues[kpiId] = (await web.Client.GetFromJsonAsync<KpiView>($"/api/kpis/{kpiId}", Json, ct))!.State.Latest;
            var elapsed = Rules.ExpectedProgress(snapshot.Cycle.Definition.Start, snapshot.Cycle.Definition.End, snapshot.TakenAt);
            var reference = GraphScorer.Score(snapshot.Objectives, snapshot.KeyResults, snapshot.Edges, kr => kr.Kind == KeyResultKind.KpiLinked
                ? KeyResultInput.FromKpi(kr, kpiValues[kr.KpiId!], null)
                : KeyResultInput.FromCheckIns(kr, histories[kr.Id]), elapsed, snapshot.Policy);
            diffs = ReferenceCheck.Differences(snapshot, reference);
            // The hub client saw the followed key results' check-ins, pushed from the other silo through the web host.
            foreach (var kr in followed)
                if (!latest.TryGetValue(kr.Id, out var seen) || !ReferenceCheck.Same(seen, reference[kr.Id]))
                    diffs.Add($"{kr.Id} at the hub client: {(latest.TryGetValue(kr.Id, out var s) ? ReferenceCheck.Describe(s) : "nothing")} vs {ReferenceCheck.Describe(reference[kr.Id])}");
            if (diffs.Count == 0 || watch.Elapsed > TimeSpan.FromSeconds(30)) break;
            await Task.Delay(200, ct);
        }
        Assert.True(diffs.Count == 0, $"not equal to the reference after 30 s:\n{string.Join("\n", diffs.Take(20))}");
        Assert.False(_silo!.HasExited, _silo.Output);
    }
}
