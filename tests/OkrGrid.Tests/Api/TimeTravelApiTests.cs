using System.Globalization;
using System.Net;
using OkrGrid.Views;
using OkrGrid.Web.Apis;

namespace OkrGrid.Tests.Api;

/// <summary>
/// The scorecard as of a past instant through the API: the snapshot and the alignment tree with <c>at</c>, a history
/// that keeps a moved key result where it was, and <c>at</c> refused by name when it cannot be answered.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class TimeTravelApiTests(ApiHost host) : ApiTestBase(host)
{
    [Fact]
    public async Task APastInstantShowsTheStructureAndCheckInsOfThatInstant()
    {
        var from = await CreateObjectiveAsync(NewId("tt-from"), CompanyOwner);
        var to = await CreateObjectiveAsync(NewId("tt-to"), CompanyOwner);
        var kr = await CreateKeyResultAsync(NewId("tt-kr"), from.Id, start: 0, target: 100);
        await CheckInAsync(kr.Id, 80);
        await ObjectiveSettledAsync(from.Id, 0.8);
        var beforeMove = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct); // distinct instants: the move takes effect after beforeMove

        await NoContentAsync(HttpMethod.Put, $"/api/key-results/{kr.Id}/objective", new { objectiveId = to.Id, weight = 1 });
        await CheckInAsync(kr.Id, 30);
        await ObjectiveSettledAsync(to.Id, 0.3);

        // Then: under 'from', at 80. Now: under 'to', at 30 — and 'from' has nothing below it.
        var then = await GetAsync<CycleSnapshot>($"/api/cycles/{ApiHost.CycleId}/snapshot?at={Uri.EscapeDataString(beforeMove.ToString("O"))}");
        Assert.Contains(then.Edges, e => e.ParentId == from.Id && e.ChildId == kr.Id);
        Assert.DoesNotContain(then.Edges, e => e.ParentId == to.Id && e.ChildId == kr.Id);
        Assert.Equal((0.8, 0.8, 0.0), (then.Scores[kr.Id].Progress, then.Scores[from.Id].Progress, then.Scores[to.Id].Progress));
        Assert.Equal(beforeMove, then.TakenAt);
        Assert.Equal(0, then.StructureVersion);

        var now = await GetAsync<CycleSnapshot>($"/api/cycles/{ApiHost.CycleId}/snapshot");
        Assert.Contains(now.Edges, e => e.ParentId == to.Id && e.ChildId == kr.Id);
        Assert.Equal((0.3, 0.0, 0.3), (now.Scores[kr.Id].Progress, now.Scores[from.Id].Progress, now.Scores[to.Id].Progress));

        // The alignment tree as of then, the same way.
        var tree = await GetAsync<AlignmentResponse>($"/api/alignment?cycleId={ApiHost.CycleId}&at={Uri.EscapeDataString(beforeMove.ToString("O"))}");
        var fromNode = tree.Roots.Single(r => r.Id == from.Id);
        Assert.Equal([kr.Id], fromNode.Children.Select(c => c.Id));
        Assert.Empty(tree.Roots.Single(r => r.Id == to.Id).Children);

        // The history of 'from' keeps the key result while it was there (0.8 before the move) and drops it after;
        // 'to' shows it only from the move on. The past is not rewritten by the re-alignment.
        var fromHistory = await GetAsync<NodeHistory>($"/api/history/{from.Id}");
        Assert.Equal(0.8, fromHistory.Points.Last(p => p.At <= beforeMove).Progress, 9);
        Assert.Equal(0.0, fromHistory.Points[^1].Progress, 9);
        var toHistory = await GetAsync<NodeHistory>($"/api/history/{to.Id}");
        Assert.Equal(0.0, toHistory.Points.Last(p => p.At <= beforeMove).Progress, 9);
        Assert.Equal(0.3, toHistory.Points[^1].Progress, 9);
        Assert.Equal([30.0, 80.0], toHistory.CheckIns.Select(c => c.Value)); // its log has the key result's check-ins
    }

    [Theory]
    [InlineData("yesterday-ish", "is not an instant")]
    [InlineData("12", "is not an instant")]
    [InlineData("2026-13-45", "is not an instant")]
    [InlineData("0001-01-01T00:00:00+01:00", "is not an instant")] // before the first instant a DateTimeOffset holds
    [InlineData("2026-10-01T00:00:00Z\u0000", "is not an instant")]
    public async Task AnUnreadableInstantIsRefusedByName(string at, string reason)
    {
        await RefusedAsync(HttpStatusCode.BadRequest, "at", reason, HttpMethod.Get, $"/api/cycles/{ApiHost.CycleId}/snapshot?at={Uri.EscapeDataString(at)}");
        await RefusedAsync(HttpStatusCode.BadRequest, "at", reason, HttpMethod.Get, $"/api/alignment?cycleId={ApiHost.CycleId}&at={Uri.EscapeDataString(at)}");
    }

    [Fact]
    public async Task AnInstantInTheFutureOrBeforeTheCycleExistedIsRefusedByName()
    {
        var future = DateTimeOffset.UtcNow.AddHours(2).ToString("O");
        await RefusedAsync(HttpStatusCode.BadRequest, "at", "is in the future", HttpMethod.Get, $"/api/cycles/{ApiHost.CycleId}/snapshot?at=9999-12-31T23:59:59.9999999Z");
        await RefusedAsync(HttpStatusCode.BadRequest, "at", "is in the future", HttpMethod.Get, $"/api/cycles/{ApiHost.CycleId}/snapshot?at={Uri.EscapeDataString(future)}");
        // The cycle exists from its start (it was created later, so it counts from the start of its window).
        var before = Host.CycleStart.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await RefusedAsync(HttpStatusCode.BadRequest, "at", "before cycle", HttpMethod.Get, $"/api/cycles/{ApiHost.CycleId}/snapshot?at={before}");
        await RefusedAsync(HttpStatusCode.BadRequest, "at", "before cycle", HttpMethod.Get, $"/api/alignment?cycleId={ApiHost.CycleId}&at={before}");
        // The first instant is answerable: the cycle as created.
        var first = await GetAsync<CycleSnapshot>($"/api/cycles/{ApiHost.CycleId}/snapshot?at={Uri.EscapeDataString(Host.CycleStart.ToString("O"))}");
        Assert.Equal(ApiHost.CycleId, first.Cycle.Id);
    }
}
