using System.Net;
using OkrGrid.Views;
using OkrGrid.Web.Apis;

namespace OkrGrid.Tests.Api;

/// <summary>The alignment tree and node histories through the API, on a small tree of this test's own.</summary>
[Collection(ApiCollection.Name)]
public sealed class AlignmentAndHistoryApiTests(ApiHost host) : ApiTestBase(host)
{
    /// <summary>
    /// root (company) ← team (platform) ← done (Ana: 100 of 100, on track)
    ///                ← none (Bo: no check-in, no data)
    /// root = (1 + 0) / 2 = 0.5, ahead of the pace (a third of the cycle): on track.
    /// </summary>
    private async Task<(ObjectiveDefinition Root, ObjectiveDefinition Team, KeyResultDefinition Done, KeyResultDefinition None)> TreeAsync()
    {
        var root = await CreateObjectiveAsync(NewId("root"), CompanyOwner);
        var team = await CreateObjectiveAsync(NewId("team"), TeamOwner("platform"), [Parent(root.Id)]);
        var done = await CreateKeyResultAsync(NewId("done"), team.Id, owner: PersonOwner("ana"));
        var none = await CreateKeyResultAsync(NewId("none"), root.Id, owner: PersonOwner("bo"));
        await CheckInAsync(done.Id, 100, confidence: 0.9);
        await ObjectiveSettledAsync(root.Id, 0.5);
        return (root, team, done, none);
    }

    private async Task<AlignmentNode> RootAsync(string query, string rootId)
    {
        var response = await GetAsync<AlignmentResponse>($"/api/alignment?cycleId={ApiHost.CycleId}{query}");
        Assert.Equal(ApiHost.CycleId, response.Cycle.Id);
        return Assert.Single(response.Roots, r => r.Id == rootId);
    }

    [Fact]
    public async Task AlignmentTreeIsFilteredByTeamAndStatus()
    {
        var (root, team, done, none) = await TreeAsync();

        var all = await RootAsync("", root.Id);
        Assert.Equal([team.Id, none.Id], all.Children.Select(c => c.Id)); // objectives first, then key results
        var teamNode = all.Children[0];
        Assert.Equal(("Platform", Status.OnTrack, 1.0), (teamNode.OwnerName, teamNode.Score!.Status, teamNode.Score.Progress));
        Assert.Equal([root.Id], teamNode.ParentIds);
        Assert.Equal((done.Id, "Ana Lima", NodeKind.KeyResult), (teamNode.Children[0].Id, teamNode.Children[0].OwnerName, teamNode.Children[0].Kind));
        Assert.Equal((Status.OnTrack, 0.5), (all.Score!.Status, all.Score.Progress));

        Assert.Equal([none.Id], (await RootAsync("&teamId=sales", root.Id)).Children.Select(c => c.Id));
        var eng = await RootAsync("&teamId=eng", root.Id);
        Assert.Equal([team.Id], eng.Children.Select(c => c.Id));
        Assert.Equal([done.Id], eng.Children[0].Children.Select(c => c.Id));
        Assert.Equal([none.Id], (await RootAsync("&status=noData", root.Id)).Children.Select(c => c.Id));
        Assert.Equal([team.Id], (await RootAsync("&status=OnTrack", root.Id)).Children.Select(c => c.Id));
        Assert.Equal([none.Id], (await RootAsync("&teamId=sales&status=noData", root.Id)).Children.Select(c => c.Id));
        var nothing = await GetAsync<AlignmentResponse>($"/api/alignment?cycleId={ApiHost.CycleId}&teamId=sales&status=onTrack");
        Assert.DoesNotContain(nothing.Roots, r => r.Id == root.Id);

        // Without a cycle id: the current cycle.
        var cycles = await GetAsync<ImmutableArray<CycleInfo>>("/api/cycles");
        var current = await GetAsync<AlignmentResponse>("/api/alignment");
        Assert.Equal(Cycles.Current(cycles, DateTimeOffset.UtcNow)!.Id, current.Cycle.Id);

        await RefusedAsync(HttpStatusCode.NotFound, "teamId", "'nope' does not exist", HttpMethod.Get, "/api/alignment?teamId=nope");
        await RefusedAsync(HttpStatusCode.BadRequest, "status", "noData, onTrack, atRisk, offTrack", HttpMethod.Get, "/api/alignment?status=great");
        await RefusedAsync(HttpStatusCode.BadRequest, "status", "is not one of", HttpMethod.Get, "/api/alignment?status=2");
        await RefusedAsync(HttpStatusCode.NotFound, "cycleId", "'nope' does not exist", HttpMethod.Get, "/api/alignment?cycleId=nope");
    }

    [Fact]
    public async Task HistoriesEndWhereTheEngineStandsWithTheLogNewestFirst()
    {
        var (root, _, done, _) = await TreeAsync();
        var beforeCreation = DateTimeOffset.UtcNow;
        var kr = await CreateKeyResultAsync(NewId("steps"), root.Id, start: 0, target: 200);
        // Ana owns the key result; the admin checks in too. Each is the author of their own.
        await CheckInAsync(kr.Id, 30, confidence: 0.4, note: "first", by: "ana");
        await CheckInAsync(kr.Id, 120, note: "second");

        var history = await GetAsync<NodeHistory>($"/api/history/{kr.Id}");
        Assert.Equal((kr.Id, NodeKind.KeyResult, kr.Title, Host.CycleStart, Host.CycleEnd), (history.NodeId, history.Kind, history.Title, history.CycleStart, history.CycleEnd));
        Assert.Equal([(120.0, (double?)null, "second", WebSessions.AdminDisplayName), (30, 0.4, "first", "Ana Lima")],
            history.CheckIns.Select(c => (c.Value, c.Confidence, c.Note, c.Author)));
        Assert.Equal(history.Points.OrderBy(p => p.At), history.Points);
        // The key result was created 10 days into the cycle: its history starts then (no points before it existed),
        // with no data, and the structure's creation is a point of its own.
        Assert.InRange(history.Points[0].At, beforeCreation, DateTimeOffset.UtcNow);
        Assert.Equal((Status.NoData, (double?)null), (history.Points[0].Status, history.Points[0].Value));
        // The latest check-in gives 120 / 200 = 0.6 and keeps the last confidence given (0.4).
        Assert.Equal((0.6, 120.0, 0.4), (history.Points[^1].Progress, history.Points[^1].Value!.Value, history.Points[^1].Confidence!.Value));

        // The objective: (team 1 + none 0 + steps 0.6) / 3, equal to its score in the engine.
        var settled = await ObjectiveSettledAsync(root.Id, 1.6 / 3);
        var rootHistory = await GetAsync<NodeHistory>($"/api/history/{root.Id}");
        Assert.Equal(settled.Score.Progress, rootHistory.Points[^1].Progress, 12);
        Assert.Equal(settled.ExpectedProgress, rootHistory.Points[^1].Expected, 3);
        Assert.Equal([kr.Id, kr.Id, done.Id], rootHistory.CheckIns.Select(c => c.KeyResultId));

        var kpi = NewId("kpi");
        await CreateAsync<KpiView>("/api/kpis", new { id = kpi, name = "Uptime", direction = "higherIsBetter", thresholds = new { green = 99.9, yellow = 99 }, baseline = 99.5, owner = CompanyOwner }, "/api/kpis/");
        await ExpectAsync<MeasurementResult>(HttpStatusCode.Created, HttpMethod.Post, $"/api/kpis/{kpi}/measurements", new { value = 99.2, note = "incident" }, NewId("m"));
        var kpiHistory = await GetAsync<NodeHistory>($"/api/history/{kpi}");
        Assert.Equal((NodeKind.Kpi, "Uptime"), (kpiHistory.Kind, kpiHistory.Title));
        Assert.Equal([(99.2, Status.AtRisk)], kpiHistory.Points.Select(p => (p.Value!.Value, p.Status)));
        Assert.Equal("incident", Assert.Single(kpiHistory.CheckIns).Note);

        await RefusedAsync(HttpStatusCode.NotFound, "nodeId", "does not exist", HttpMethod.Get, $"/api/history/{Node("nope")}");
        await RefusedAsync(HttpStatusCode.NotFound, "nodeId", "does not exist", HttpMethod.Get, "/api/history/nope");
        await RefusedAsync(HttpStatusCode.NotFound, "nodeId", "does not exist", HttpMethod.Get, "/api/history/no-such-cycle:node");
    }
}
