using System.Net;
using OkrGrid.Planning;

namespace OkrGrid.Tests.Api;

/// <summary>The planner through the API: create a scenario, add moves, read the impact, apply all or none.</summary>
[Collection(ApiCollection.Name)]
public sealed class ScenariosApiTests(ApiHost host) : ApiTestBase(host)
{
    private sealed record Graph(string Company, string Red, string Blue, string A, string B, string C);

    /// <summary>
    /// company ← red (a = 80 %, b = 20 %) and blue (c = 60 %): red 0.5, blue 0.6, company 0.55. Moving b to blue gives
    /// red 0.8, blue (0.6 + 0.2) / 2 = 0.4, company (0.8 + 0.4) / 2 = 0.6.
    /// </summary>
    private async Task<Graph> BuildAsync()
    {
        var company = await CreateObjectiveAsync(NewId("co"), CompanyOwner);
        var red = await CreateObjectiveAsync(NewId("red"), TeamOwner("platform"), [Parent(company.Id)]);
        var blue = await CreateObjectiveAsync(NewId("blue"), TeamOwner("sales"), [Parent(company.Id)]);
        var a = await CreateKeyResultAsync(NewId("a"), red.Id);
        var b = await CreateKeyResultAsync(NewId("b"), red.Id);
        var c = await CreateKeyResultAsync(NewId("c"), blue.Id, owner: PersonOwner("bo"));
        await CheckInAsync(a.Id, 80);
        await CheckInAsync(b.Id, 20);
        await CheckInAsync(c.Id, 60);
        await ObjectiveSettledAsync(company.Id, 0.55);
        return new Graph(company.Id, red.Id, blue.Id, a.Id, b.Id, c.Id);
    }

    private async Task<ScenarioView> NewScenarioAsync(string name = "Rebalance Q4") =>
        await CreateAsync<ScenarioView>("/api/scenarios", new { name, cycleId = ApiHost.CycleId }, "/api/scenarios/");

    [Fact]
    public async Task SimulateThenApplyMovesTheLiveGraphExactlyAsSimulated()
    {
        var g = await BuildAsync();
        var scenario = await NewScenarioAsync();
        Assert.Equal((ScenarioState.Open, ApiHost.CycleId, WebSessions.AdminDisplayName), (scenario.State, scenario.CycleId, scenario.Author));

        await ExpectAsync<ScenarioView>(HttpStatusCode.Created, HttpMethod.Post, $"/api/scenarios/{scenario.Id}/moves",
            new { kind = "moveKeyResult", keyResultId = g.B, objectiveId = g.Blue });
        // A loop: the company objective under one of its own children. Kept, reported, left out.
        var withLoop = await ExpectAsync<ScenarioView>(HttpStatusCode.Created, HttpMethod.Post, $"/api/scenarios/{scenario.Id}/moves",
            new { kind = "realignObjective", objectiveId = g.Company, parents = new[] { Parent(g.Red) } });
        Assert.Equal(2, withLoop.Moves.Length);
        Assert.IsType<MoveKeyResult>(withLoop.Moves[0]);

        var impact = await GetAsync<ScenarioImpact>($"/api/scenarios/{scenario.Id}/impact");
        Assert.False(impact.LiveChanged);
        var rejected = Assert.Single(impact.Simulation.Rejected);
        Assert.Equal((1, "parents[0].parentId"), (rejected.Index, rejected.Field));
        Assert.Contains("would make a loop", rejected.Reason);
        var byId = impact.Simulation.Impacts.ToDictionary(i => i.NodeId);
        Assert.Equal([g.Red, g.Blue, g.Company], impact.Simulation.Impacts.Select(i => i.NodeId));
        Assert.Equal((0.5, 0.8), (byId[g.Red].Before.Progress, byId[g.Red].After.Progress), Tolerance.Pair);
        Assert.Equal((0.6, 0.4), (byId[g.Blue].Before.Progress, byId[g.Blue].After.Progress), Tolerance.Pair);
        Assert.Equal((0.55, 0.6), (byId[g.Company].Before.Progress, byId[g.Company].After.Progress), Tolerance.Pair);
        var teams = impact.AlignmentAfter.CompanyObjectives.Single(c => c.ObjectiveId == g.Company).TeamShares;
        Assert.Equal([("Platform", 0.75), ("Sales", 0.25)], teams.Select(t => (t.Name, Math.Round(t.Share, 12))));

        // All or none: with the loop in it, apply is refused and nothing changes.
        await RefusedAsync(HttpStatusCode.Conflict, "moves[1].parents[0].parentId", "would make a loop", HttpMethod.Post, $"/api/scenarios/{scenario.Id}/apply",
            alsoUnchanged: $"/api/scenarios/{scenario.Id}");

        await ExpectAsync<ScenarioView>(HttpStatusCode.OK, HttpMethod.Delete, $"/api/scenarios/{scenario.Id}/moves/1");
        var applied = await ExpectAsync<ScenarioView>(HttpStatusCode.OK, HttpMethod.Post, $"/api/scenarios/{scenario.Id}/apply");
        Assert.Equal(ScenarioState.Applied, applied.State);
        await ObjectiveSettledAsync(g.Company, 0.6);
        await ObjectiveSettledAsync(g.Red, 0.8);
        await ObjectiveSettledAsync(g.Blue, 0.4);

        await RefusedAsync(HttpStatusCode.Conflict, "state", "was applied", HttpMethod.Post, $"/api/scenarios/{scenario.Id}/apply");
        // It keeps the simulation it was applied with — the values the live objectives settled at — not a new one.
        var record = (await GetAsync<ScenarioView>($"/api/scenarios/{scenario.Id}")).Applied;
        Assert.NotNull(record);
        Assert.Equal([(g.Company, 0.6), (g.Red, 0.8), (g.Blue, 0.4)],
            record.Impacts.Select(i => (i.NodeId, Math.Round(i.After.Progress, 12))).OrderBy(i => i.Item1 == g.Company ? 0 : i.Item1 == g.Red ? 1 : 2));
        await RefusedAsync(HttpStatusCode.Conflict, "state", "holds the simulation it was applied with", HttpMethod.Get, $"/api/scenarios/{scenario.Id}/impact");
        Assert.Contains(await GetAsync<ImmutableArray<ScenarioSummary>>("/api/scenarios"), s => s.Id == scenario.Id && s.State == ScenarioState.Applied);
    }

    [Fact]
    public async Task ImpactSaysWhenTheLiveGraphMovedOnAndRefreshCatchesUp()
    {
        var g = await BuildAsync();
        var scenario = await NewScenarioAsync();
        await ExpectAsync<ScenarioView>(HttpStatusCode.Created, HttpMethod.Post, $"/api/scenarios/{scenario.Id}/moves",
            new { kind = "changeWeight", parentId = g.Company, childId = g.Blue, weight = 3 });
        var first = await GetAsync<ScenarioImpact>($"/api/scenarios/{scenario.Id}/impact");
        Assert.Equal((0.55, (0.5 + 0.6 * 3) / 4), (first.Simulation.Impacts.Single(i => i.NodeId == g.Company).Before.Progress,
            first.Simulation.Impacts.Single(i => i.NodeId == g.Company).After.Progress), Tolerance.Pair);

        await CheckInAsync(g.C, 100); // blue → 1.0
        await ObjectiveSettledAsync(g.Company, 0.75);
        Assert.True((await GetAsync<ScenarioImpact>($"/api/scenarios/{scenario.Id}/impact")).LiveChanged);

        var fresh = await GetAsync<ScenarioImpact>($"/api/scenarios/{scenario.Id}/impact?refresh=true");
        Assert.False(fresh.LiveChanged);
        Assert.Equal((0.75, (0.5 + 1.0 * 3) / 4), (fresh.Simulation.Impacts.Single(i => i.NodeId == g.Company).Before.Progress,
            fresh.Simulation.Impacts.Single(i => i.NodeId == g.Company).After.Progress), Tolerance.Pair);

        // Sensitivity: c carries blue, which carries three quarters of the company after the move.
        var sensitivity = await GetAsync<Sensitivity>($"/api/scenarios/{scenario.Id}/sensitivity/{g.Company}");
        Assert.Equal([g.C, g.A, g.B], sensitivity.After.Select(k => k.KeyResultId));
        Assert.Equal([0.75, 0.125, 0.125], sensitivity.After.Select(k => Math.Round(k.Influence, 12)));
        Assert.Equal([0.5, 0.25, 0.25], sensitivity.Before.Select(k => Math.Round(k.Influence, 12)));

        var discarded = await ExpectAsync<ScenarioView>(HttpStatusCode.OK, HttpMethod.Post, $"/api/scenarios/{scenario.Id}/discard");
        Assert.Equal(ScenarioState.Discarded, discarded.State);
        await ObjectiveSettledAsync(g.Company, 0.75); // discarding changed nothing
    }

    [Fact]
    public async Task BadPlannerInputIsRefusedWithFieldAndReasonAndChangesNothing()
    {
        var g = await BuildAsync();
        await RefusedAsync(HttpStatusCode.BadRequest, "name", "is required", HttpMethod.Post, "/api/scenarios", new { cycleId = ApiHost.CycleId });
        await RefusedAsync(HttpStatusCode.NotFound, "cycleId", "does not exist", HttpMethod.Post, "/api/scenarios", new { name = "x", cycleId = "nope" });
        await RefusedAsync(HttpStatusCode.NotFound, "scenarioId", "does not exist", HttpMethod.Get, "/api/scenarios/nope-123");

        var scenario = await NewScenarioAsync();
        var url = $"/api/scenarios/{scenario.Id}";
        await RefusedAsync(HttpStatusCode.BadRequest, "kind", "is required", HttpMethod.Post, $"{url}/moves", new { keyResultId = g.B }, alsoUnchanged: url);
        await RefusedAsync(HttpStatusCode.BadRequest, "kind", "is not one of", HttpMethod.Post, $"{url}/moves", new { kind = "teleport" }, alsoUnchanged: url);
        await RefusedAsync(HttpStatusCode.BadRequest, "objectiveId", "is required", HttpMethod.Post, $"{url}/moves", new { kind = "moveKeyResult", keyResultId = g.B }, alsoUnchanged: url);
        await RefusedAsync(HttpStatusCode.BadRequest, "weight", "", HttpMethod.Post, $"{url}/moves", new { kind = "changeWeight", parentId = g.Company, childId = g.Red, weight = -1 }, alsoUnchanged: url);
        await RefusedAsync(HttpStatusCode.BadRequest, "parents", "is required", HttpMethod.Post, $"{url}/moves", new { kind = "realignObjective", objectiveId = g.Red }, alsoUnchanged: url);
        await RefusedAsync(HttpStatusCode.NotFound, "index", "", HttpMethod.Delete, $"{url}/moves/0", alsoUnchanged: url);
        await RefusedAsync(HttpStatusCode.BadRequest, "moves", "nothing to apply", HttpMethod.Post, $"{url}/apply", alsoUnchanged: url);
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Get, $"{url}/sensitivity/{ApiHost.CycleId}:nope");

        // Moves that cannot apply are accepted into the scenario and reported by the impact, each with its reason.
        await ExpectAsync<ScenarioView>(HttpStatusCode.Created, HttpMethod.Post, $"{url}/moves", new { kind = "moveKeyResult", keyResultId = g.B, objectiveId = $"{ApiHost.NextCycleId}:x" });
        await ExpectAsync<ScenarioView>(HttpStatusCode.Created, HttpMethod.Post, $"{url}/moves", new { kind = "realignObjective", objectiveId = g.Red, parents = new[] { Parent(g.Red) } });
        await ExpectAsync<ScenarioView>(HttpStatusCode.Created, HttpMethod.Post, $"{url}/moves", new { kind = "moveKeyResult", keyResultId = $"{ApiHost.CycleId}:ghost", objectiveId = g.Red });
        var impact = await GetAsync<ScenarioImpact>($"{url}/impact");
        Assert.Equal(0, impact.Simulation.AppliedMoves);
        Assert.Equal([("objectiveId", "belongs to cycle"), ("parents[0].parentId", "cannot align to itself"), ("keyResultId", "does not exist")],
            impact.Simulation.Rejected.Select(r => (r.Field, r.Reason.Contains("belongs to cycle") ? "belongs to cycle"
                : r.Reason.Contains("cannot align to itself") ? "cannot align to itself" : r.Reason.Contains("does not exist") ? "does not exist" : r.Reason)));
        Assert.Empty(impact.Simulation.Impacts);
    }
}

/// <summary>Comparing computed pairs of doubles to hand-checked ones.</summary>
internal sealed class Tolerance : IEqualityComparer<(double, double)>
{
    public static readonly Tolerance Pair = new();
    public bool Equals((double, double) x, (double, double) y) => Math.Abs(x.Item1 - y.Item1) < 1e-9 && Math.Abs(x.Item2 - y.Item2) < 1e-9;
    public int GetHashCode((double, double) obj) => 0;
}
