using System.Net.Http.Json;
using OkrGrid.Silo.Storage;
using OkrGrid.Web.Seeding;

namespace OkrGrid.Tests.Api;

/// <summary>
/// The demo activity mode on the real host with the seeded demo company: it keeps checking in and measuring on its
/// own, plausibly, while the host stays healthy.
/// </summary>
public sealed class DemoActivityTests : IAsyncLifetime
{
    private const string ActivityPrefix = "demo-activity-";
    private string _database = "";
    private WebProcess? _web;

    public async ValueTask InitializeAsync()
    {
        _database = await ScratchDatabases.CreateAsync("demoactivity");
        _web = await WebProcess.StartAsync(_database, seedDemo: true, new Dictionary<string, string>
        {
            ["Demo__Activity"] = "true",
            ["Demo__ActivityIntervalSeconds"] = "0.2",
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_web is not null) await _web.DisposeAsync();
        if (_database.Length > 0) await ScratchDatabases.DropAsync(_database);
    }

    [Fact]
    public async Task ActivityChecksInAndMeasuresOnItsOwn()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _web!.Client;
        var json = ApiHost.Json;

        OrganisationView organisation;
        do organisation = (await client.GetFromJsonAsync<OrganisationView>("/api/organisation", json, ct))!;
        while (organisation.CompanyName.Length == 0 && await Delay(ct));
        var cycle = Cycles.Current(organisation.Cycles, DateTimeOffset.UtcNow)!;
        var snapshot = (await client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycle.Id}/snapshot", json, ct))!;
        var manual = snapshot.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked).ToList();

        List<(KeyResultDefinition Kr, CheckIn CheckIn)> checkIns = [];
        List<Measurement> measurements = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && (checkIns.Count < 5 || measurements.Count < 1); await Delay(ct))
        {
            checkIns = [];
            foreach (var kr in manual)
                foreach (var c in (await client.GetFromJsonAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr.Id}/check-ins", json, ct))!)
                    if (c.ClientId.StartsWith(ActivityPrefix, StringComparison.Ordinal)) checkIns.Add((kr, c));
            measurements = [];
            foreach (var kpi in organisation.Kpis)
                measurements.AddRange((await client.GetFromJsonAsync<ImmutableArray<Measurement>>($"/api/kpis/{kpi.Id}/measurements", json, ct))!
                    .Where(m => m.ClientId.StartsWith(ActivityPrefix, StringComparison.Ordinal)));
        }

        Assert.True(checkIns.Count >= 5, $"{checkIns.Count} activity check-ins after 30 s");
        Assert.NotEmpty(measurements);
        Assert.Equal(checkIns.Count, checkIns.Select(c => c.CheckIn.ClientId).Distinct().Count());
        foreach (var (kr, c) in checkIns)
        {
            Assert.Equal(organisation.People.Single(p => p.Id == kr.Owner.Id).Name, c.Author);
            Assert.False(string.IsNullOrWhiteSpace(c.Note));
            Assert.InRange(c.Confidence!.Value, 0.1, 0.95);
            Assert.InRange(c.At, cycle.Definition.Start, DateTimeOffset.UtcNow);
            if (kr.Kind == KeyResultKind.Milestone) Assert.Contains(c.Value, new[] { 0.0, 1.0 });
            if (kr.Kind is KeyResultKind.Increase or KeyResultKind.Decrease)
                Assert.InRange(c.Value, Math.Min(kr.Start, kr.Target), Math.Max(kr.Start, kr.Target));
        }
        Assert.All(measurements, m => Assert.Equal(DemoScript.MeasurementAuthor, m.Author));
        Assert.True((await client.GetAsync("/healthz", ct)).IsSuccessStatusCode);
        Assert.DoesNotContain("a step failed", _web.Output);
    }

    private static async Task<bool> Delay(CancellationToken ct)
    {
        await Task.Delay(200, ct);
        return true;
    }
}
