using System.Net;
using OkrGrid.Web.Apis;

namespace OkrGrid.Tests.Api;

/// <summary>Teams, people and cycles through the API: created, read back, and every refusal changing nothing.</summary>
[Collection(ApiCollection.Name)]
public sealed class OrganisationApiTests(ApiHost host) : ApiTestBase(host)
{
    [Fact]
    public async Task TeamsAreCreatedAndReadWithMembersAndSubTeams()
    {
        var id = NewId("team");
        var team = await CreateAsync<Team>("/api/teams", new { id, name = "  Data  ", parentTeamId = "eng" }, $"/api/teams/{id}");
        Assert.Equal(new Team(id, "Data", "eng"), team);
        var sub = NewId("sub");
        await CreateAsync<Team>("/api/teams", new { id = sub, name = "Data ops", parentTeamId = id }, "/api/teams/");
        var person = NewId("p");
        await CreateAsync<Person>("/api/people", new { id = person, name = "Dee", teamId = id }, $"/api/people/{person}");

        var details = await GetAsync<TeamDetails>($"/api/teams/{id}");
        Assert.Equal(team, details.Team);
        Assert.Equal([new Person(person, "Dee", id)], details.Members);
        Assert.Equal([new Team(sub, "Data ops", id)], details.SubTeams);
        Assert.Contains(team, await GetAsync<ImmutableArray<Team>>("/api/teams"));
        Assert.Equal(new Person(person, "Dee", id), await GetAsync<Person>($"/api/people/{person}"));
        Assert.Contains(new Person("ana", "Ana Lima", "platform"), await GetAsync<ImmutableArray<Person>>("/api/people"));
        var organisation = await GetAsync<OrganisationView>("/api/organisation");
        Assert.Contains(team, organisation.Teams);
    }

    [Fact]
    public async Task BadTeamsAndPeopleAreRefused()
    {
        await RefusedAsync(HttpStatusCode.Conflict, "id", "already exists", HttpMethod.Post, "/api/teams", new { id = "eng", name = "Again" });
        await RefusedAsync(HttpStatusCode.NotFound, "parentTeamId", "'nope' does not exist", HttpMethod.Post, "/api/teams", new { id = NewId("t"), name = "X", parentTeamId = "nope" });
        await RefusedAsync(HttpStatusCode.BadRequest, "name", "is required", HttpMethod.Post, "/api/teams", new { id = NewId("t") });
        await RefusedAsync(HttpStatusCode.BadRequest, "name", "must not be empty", HttpMethod.Post, "/api/teams", new { id = NewId("t"), name = "   " });
        await RefusedAsync(HttpStatusCode.BadRequest, "id", "a–z", HttpMethod.Post, "/api/teams", new { id = "Not A Slug", name = "X" });
        await RefusedAsync(HttpStatusCode.BadRequest, "id", "is required", HttpMethod.Post, "/api/teams", new { name = "X" });
        await RefusedAsync(HttpStatusCode.NotFound, "teamId", "'nope' does not exist", HttpMethod.Get, "/api/teams/nope");

        await RefusedAsync(HttpStatusCode.Conflict, "id", "already exists", HttpMethod.Post, "/api/people", new { id = "ana", name = "Ana", teamId = "eng" });
        await RefusedAsync(HttpStatusCode.NotFound, "teamId", "'nope' does not exist", HttpMethod.Post, "/api/people", new { id = NewId("p"), name = "X", teamId = "nope" });
        await RefusedAsync(HttpStatusCode.BadRequest, "teamId", "is required", HttpMethod.Post, "/api/people", new { id = NewId("p"), name = "X" });
        await RefusedAsync(HttpStatusCode.BadRequest, "name", "at most 200", HttpMethod.Post, "/api/people", new { id = NewId("p"), name = new string('x', 201), teamId = "eng" });
        await RefusedAsync(HttpStatusCode.NotFound, "personId", "'nope' does not exist", HttpMethod.Get, "/api/people/nope");
    }

    [Fact]
    public async Task CyclesAreCreatedListedAndRead()
    {
        var id = NewId("c");
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var cycle = await CreateAsync<CycleInfo>("/api/cycles", new { id, name = "2030-Q1", start, end = start.AddMonths(3) }, $"/api/cycles/{id}");
        Assert.Equal(new CycleInfo(new CycleDefinition(id, "2030-Q1", start, start.AddMonths(3)), false, null), cycle);
        Assert.Equal(cycle, await GetAsync<CycleInfo>($"/api/cycles/{id}"));
        var all = await GetAsync<ImmutableArray<CycleInfo>>("/api/cycles");
        Assert.Contains(cycle, all);
        Assert.Equal(all.OrderBy(c => c.Definition.Start), all); // oldest first
        // "current": the open cycle containing now (the host's "api-now"), whatever later cycles exist.
        Assert.Equal(ApiHost.CycleId, (await GetAsync<CycleInfo>("/api/cycles/current")).Id);
    }

    [Fact]
    public async Task BadCyclesAreRefused()
    {
        var start = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await RefusedAsync(HttpStatusCode.Conflict, "id", "already exists", HttpMethod.Post, "/api/cycles", new { id = ApiHost.CycleId, name = "Again", start, end = start.AddDays(1) });
        await RefusedAsync(HttpStatusCode.BadRequest, "end", "must be after start", HttpMethod.Post, "/api/cycles", new { id = NewId("c"), name = "Backwards", start, end = start.AddDays(-1) });
        await RefusedAsync(HttpStatusCode.BadRequest, "start", "is required", HttpMethod.Post, "/api/cycles", new { id = NewId("c"), name = "No start", end = start });
        await RefusedAsync(HttpStatusCode.BadRequest, "start", "ISO 8601", HttpMethod.Post, "/api/cycles", """{"id": "c-bad-date", "name": "X", "start": "next monday", "end": "2031-02-01T00:00:00Z"}""");
        await RefusedAsync(HttpStatusCode.BadRequest, "id", "names the current cycle", HttpMethod.Post, "/api/cycles", new { id = "current", name = "Current", start, end = start.AddDays(1) });
        await RefusedAsync(HttpStatusCode.NotFound, "cycleId", "'nope' does not exist", HttpMethod.Get, "/api/cycles/nope");
        await RefusedAsync(HttpStatusCode.NotFound, "cycleId", "'nope' does not exist", HttpMethod.Get, "/api/cycles/nope/snapshot");
        await RefusedAsync(HttpStatusCode.NotFound, "cycleId", "'nope' does not exist", HttpMethod.Post, "/api/cycles/nope/close");
    }

    [Fact]
    public async Task ClosingFreezesGradesReopeningThawsAndCarryOverStartsWhereItEnded()
    {
        // A cycle of its own around now, so closing it leaves the shared one alone.
        var from = NewId("from");
        var to = NewId("to");
        await CreateAsync<CycleInfo>("/api/cycles", new { id = from, name = "From", start = Host.CycleStart, end = Host.CycleEnd }, "/api/cycles/");
        await CreateAsync<CycleInfo>("/api/cycles", new { id = to, name = "To", start = Host.CycleEnd, end = Host.CycleEnd.AddDays(90) }, "/api/cycles/");
        var objective = await CreateObjectiveAsync("goal", CompanyOwner, cycleId: from);
        var done = await CreateAsync<KeyResultDefinition>("/api/key-results",
            new { title = "Done", owner = PersonOwner("ana"), kind = "milestone", objectiveId = objective.Id }, "/api/key-results/");
        var half = await CreateAsync<KeyResultDefinition>("/api/key-results",
            new { title = "Half", owner = PersonOwner("ana"), kind = "increase", start = 10, target = 50, objectiveId = objective.Id, weight = 3 }, "/api/key-results/");
        Assert.Equal((0.0, 1.0), (done.Start, done.Target)); // a milestone's start and target may be left out
        await CheckInAsync(done.Id, 1);
        await CheckInAsync(half.Id, 30);

        var closed = await ExpectAsync<CycleInfo>(HttpStatusCode.OK, HttpMethod.Post, $"/api/cycles/{from}/close");
        Assert.True(closed.Closed);
        // Grade: (1 × 1 + 3 × (30 − 10) / (50 − 10)) / 4 = 2.5 / 4 = 0.625 → 0.63 to hundredths (away from zero).
        var snapshot = await GetAsync<CycleSnapshot>($"/api/cycles/{from}/snapshot");
        Assert.Equal(0.63, snapshot.Scores[objective.Id].Grade);
        Assert.Equal(0.5, snapshot.Scores[half.Id].Grade);

        await RefusedAsync(HttpStatusCode.Conflict, "cycle", "is closed", HttpMethod.Post, $"/api/key-results/{half.Id}/check-ins", new { value = 40 },
            idempotencyKey: NewId("k"), alsoUnchanged: $"/api/key-results/{half.Id}/check-ins");
        await RefusedAsync(HttpStatusCode.Conflict, "cycleId", "is closed", HttpMethod.Post, $"/api/cycles/{from}/close");
        await RefusedAsync(HttpStatusCode.Conflict, "cycleId", "is closed", HttpMethod.Patch, $"/api/objectives/{objective.Id}", new { title = "Renamed" });
        await RefusedAsync(HttpStatusCode.BadRequest, "targetCycleId", "another cycle", HttpMethod.Post, $"/api/cycles/{from}/carry-over", new { targetCycleId = from, objectiveIds = new[] { objective.Id } });
        await RefusedAsync(HttpStatusCode.NotFound, "targetCycleId", "'nope' does not exist", HttpMethod.Post, $"/api/cycles/{from}/carry-over", new { targetCycleId = "nope", objectiveIds = new[] { objective.Id } });
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveIds[0]", "does not exist", HttpMethod.Post, $"/api/cycles/{from}/carry-over", new { targetCycleId = to, objectiveIds = new[] { $"{from}:nope" } });
        await RefusedAsync(HttpStatusCode.BadRequest, "objectiveIds", "is required", HttpMethod.Post, $"/api/cycles/{from}/carry-over", new { targetCycleId = to });
        await RefusedAsync(HttpStatusCode.BadRequest, "targetCycleId", "is required", HttpMethod.Post, $"/api/cycles/{from}/carry-over", new { objectiveIds = new[] { objective.Id } });

        var copies = await ExpectAsync<ImmutableArray<ObjectiveDefinition>>(HttpStatusCode.OK, HttpMethod.Post, $"/api/cycles/{from}/carry-over",
            new { targetCycleId = to, objectiveIds = new[] { objective.Id } });
        var copy = Assert.Single(copies);
        Assert.Equal((to, objective.Title), (copy.CycleId, copy.Title));
        // Only the unfinished key result comes along, starting where it ended (30), with its weight.
        var target = await GetAsync<CycleSnapshot>($"/api/cycles/{to}/snapshot");
        var carried = Assert.Single(target.KeyResults);
        Assert.Equal(("Half", 30.0, 50.0), (carried.Title, carried.Start, carried.Target));
        Assert.Equal(3, Assert.Single(target.Edges, e => e.ChildId == carried.Id).Weight);

        var reopened = await ExpectAsync<CycleInfo>(HttpStatusCode.OK, HttpMethod.Post, $"/api/cycles/{from}/reopen");
        Assert.False(reopened.Closed);
        Assert.Null((await GetAsync<CycleSnapshot>($"/api/cycles/{from}/snapshot")).Scores[objective.Id].Grade);
        await RefusedAsync(HttpStatusCode.Conflict, "cycleId", "is not closed", HttpMethod.Post, $"/api/cycles/{from}/reopen");
        await RefusedAsync(HttpStatusCode.Conflict, "cycleId", "must be closed", HttpMethod.Post, $"/api/cycles/{from}/carry-over", new { targetCycleId = to, objectiveIds = new[] { objective.Id } });
    }
}
