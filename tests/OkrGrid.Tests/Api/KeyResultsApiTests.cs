using System.Net;
using System.Net.Http.Json;

namespace OkrGrid.Tests.Api;

/// <summary>Key results and check-ins through the API: scores as the pure rules give them, retries applied once, refusals.</summary>
[Collection(ApiCollection.Name)]
public sealed class KeyResultsApiTests(ApiHost host) : ApiTestBase(host)
{
    [Fact]
    public async Task CheckInMovesTheKeyResultAndItsObjectiveToWhatTheRulesGive()
    {
        var objective = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var local = NewId("k");
        var kr = await CreateAsync<KeyResultDefinition>("/api/key-results",
            new { id = local, title = "Cut churn", owner = PersonOwner("ana"), kind = "decrease", start = 8, target = 4, unit = "%", objectiveId = objective.Id, weight = 2 },
            $"/api/key-results/{Node(local)}");
        Assert.Equal(new KeyResultDefinition(Node(local), ApiHost.CycleId, "Cut churn", new Owner(OwnerKind.Person, "ana"), KeyResultKind.Decrease, 8, 4, "%", null), kr);
        var other = await CreateKeyResultAsync(NewId("k"), objective.Id, start: 0, target: 10);

        var result = await CheckInAsync(kr.Id, 5, confidence: 0.7, note: "new onboarding", by: "ana");
        Assert.True(result.Applied);
        // (5 − 8) / (4 − 8) = 0.75
        var elapsed = Rules.ExpectedProgress(Host.CycleStart, Host.CycleEnd, DateTimeOffset.UtcNow);
        var expected = Rules.ScoreKeyResult(kr, 5, true, 0.7, elapsed, ScoringPolicy.Default);
        Assert.Equal(0.75, result.Score.Progress, 9);
        Assert.Equal((expected.Progress, expected.Status, 0.7, 5.0), (result.Score.Progress, result.Score.Status, result.Score.Confidence!.Value, result.Score.Value!.Value));

        // The objective: weighted mean of 0.75 (×2) and the other key result without data (0, ×1) = 0.5.
        var view = await ObjectiveSettledAsync(objective.Id, (2 * 0.75 + 0) / 3);
        Assert.Equal(0.7, view.Score.Confidence);
        var krView = await GetAsync<KeyResultView>($"/api/key-results/{kr.Id}");
        Assert.Equal((objective.Id, 2.0, 5.0, 1), (krView.ObjectiveId, krView.Weight, krView.Current, krView.CheckInCount));

        await CheckInAsync(other.Id, 4);
        await ObjectiveSettledAsync(objective.Id, (2 * 0.75 + 0.4) / 3);

        var checkIns = await GetAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr.Id}/check-ins");
        var stored = Assert.Single(checkIns);
        Assert.Equal((5.0, 0.7, "new onboarding", "Ana Lima", "user:ana"), (stored.Value, stored.Confidence!.Value, stored.Note, stored.Author, stored.AuthorId));
        Assert.StartsWith("token:", stored.Via);
    }

    [Fact]
    public async Task RetryWithTheSameKeyIsAppliedOnce()
    {
        var kr = await CreateKeyResultAsync(NewId("k"), null);
        var key = NewId("retry");
        var first = await ExpectAsync<CheckInResult>(HttpStatusCode.Created, HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins", new { value = 30, traceId = "t-1" }, key);
        // A retry repeats the check-in (the trace is not part of it).
        var again = await ExpectAsync<CheckInResult>(HttpStatusCode.OK, HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins", new { value = 30 }, key);
        // The body's client id is the same key: still a retry.
        var viaBody = await ExpectAsync<CheckInResult>(HttpStatusCode.OK, HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins", new { value = 30, clientId = key });
        // The same key with another value is not a retry (422, see HardeningTests): the 90 is never silently dropped.

        Assert.True(first.Applied);
        Assert.False(again.Applied);
        Assert.False(viaBody.Applied);
        Assert.Equal(0.3, again.Score.Progress, 9);
        Assert.Equal(first.Score.Version, again.Score.Version); // applied once: nothing new was published
        var history = await GetAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr.Id}/check-ins");
        Assert.Equal([(key, 30.0)], history.Select(c => (c.ClientId, c.Value)));
        Assert.Equal(1, (await GetAsync<KeyResultView>($"/api/key-results/{kr.Id}")).CheckInCount);
    }

    [Fact]
    public async Task BadCheckInsAreRefusedAndStoreNothing()
    {
        var kr = await CreateKeyResultAsync(NewId("k"), null);
        var milestone = await CreateKeyResultAsync(NewId("m"), null, start: 0, target: 1, kind: "milestone");
        await CheckInAsync(kr.Id, 10);
        var url = $"/api/key-results/{kr.Id}/check-ins";
        string[] unchanged = [url, $"/api/key-results/{milestone.Id}/check-ins"];

        await RefusedAsync(HttpStatusCode.BadRequest, "Idempotency-Key", "is required", HttpMethod.Post, url, new { value = 20 }, alsoUnchanged: unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "clientId", "differs from the Idempotency-Key header", HttpMethod.Post, url, new { value = 20, clientId = "body-id" }, "header-id", unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "is required", HttpMethod.Post, url, new { confidence = 0.5 }, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "must be a number (got NaN)", HttpMethod.Post, url, """{"value": "NaN"}""", NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "must be a finite number", HttpMethod.Post, url, """{"value": "lots"}""", NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "is not valid JSON", HttpMethod.Post, url, """{"value": NaN}""", NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "must be finite", HttpMethod.Post, url, """{"value": 1e999}""", NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "must be within", HttpMethod.Post, url, new { value = 1e13 }, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "confidence", "between 0 and 1", HttpMethod.Post, url, new { value = 20, confidence = 1.5 }, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "note", "at most 2000", HttpMethod.Post, url, new { value = 20, note = new string('n', 2001) }, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "at", "must not be in the future", HttpMethod.Post, url, new { value = 20, at = DateTimeOffset.UtcNow.AddDays(1) }, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "at", "before the cycle starts", HttpMethod.Post, url, new { value = 20, at = Host.CycleStart.AddDays(-1) }, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "0 (not done) or 1 (done)", HttpMethod.Post, $"/api/key-results/{milestone.Id}/check-ins", new { value = 0.5 }, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "is not valid JSON (line 1", HttpMethod.Post, url, """{"value": 20""", NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "body", "must be a JSON object", HttpMethod.Post, url, "[20]", NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.BadRequest, "body", "is required", HttpMethod.Post, url, null, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.NotFound, "keyResultId", "does not exist", HttpMethod.Post, $"/api/key-results/{Node("nope")}/check-ins", new { value = 20 }, NewId("k"), unchanged);
        await RefusedAsync(HttpStatusCode.NotFound, "keyResultId", "does not exist", HttpMethod.Get, $"/api/key-results/{Node("nope")}/check-ins");
    }

    [Fact]
    public async Task KeyResultIsEditedMovedDetachedAndDeleted()
    {
        var from = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var to = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var kr = await CreateKeyResultAsync(NewId("k"), from.Id, start: 0, target: 100);
        await CheckInAsync(kr.Id, 40);
        await ObjectiveSettledAsync(from.Id, 0.4);

        // A new target: 40 of 80 is half way.
        var edited = await ExpectAsync<KeyResultDefinition>(HttpStatusCode.OK, HttpMethod.Patch, $"/api/key-results/{kr.Id}", new { target = 80, title = "Renamed" });
        Assert.Equal(kr with { Target = 80, Title = "Renamed" }, edited);
        await ObjectiveSettledAsync(from.Id, 0.5);

        await NoContentAsync(HttpMethod.Put, $"/api/key-results/{kr.Id}/objective", new { objectiveId = to.Id, weight = 2 });
        await ObjectiveSettledAsync(to.Id, 0.5);
        var fromView = await ObjectiveSettledAsync(from.Id, 0);
        Assert.True(fromView.Score.NoData);
        var moved = await GetAsync<KeyResultView>($"/api/key-results/{kr.Id}");
        Assert.Equal((to.Id, 2.0), (moved.ObjectiveId, moved.Weight));

        await NoContentAsync(HttpMethod.Delete, $"/api/key-results/{kr.Id}/objective");
        Assert.Null((await GetAsync<KeyResultView>($"/api/key-results/{kr.Id}")).ObjectiveId);
        await ObjectiveSettledAsync(to.Id, 0);

        await NoContentAsync(HttpMethod.Delete, $"/api/key-results/{kr.Id}");
        await RefusedAsync(HttpStatusCode.NotFound, "keyResultId", "does not exist", HttpMethod.Get, $"/api/key-results/{kr.Id}");
    }

    [Fact]
    public async Task BadKeyResultsAreRefused()
    {
        var objective = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var later = await CreateObjectiveAsync(NewId("l"), CompanyOwner, cycleId: ApiHost.NextCycleId);
        var kr = await CreateKeyResultAsync(NewId("k"), objective.Id);
        object Draft(string kind = "increase", double? start = 0, double? target = 10, string? objectiveId = null, string? cycleId = ApiHost.CycleId,
            string? kpiId = null, string? title = "T", double weight = 1) =>
            new { title, owner = PersonOwner("ana"), kind, start, target, objectiveId, cycleId, kpiId, weight };

        await RefusedAsync(HttpStatusCode.BadRequest, "kind", "is required", HttpMethod.Post, "/api/key-results", new { title = "T", owner = PersonOwner("ana"), start = 0, target = 1, cycleId = ApiHost.CycleId });
        await RefusedAsync(HttpStatusCode.BadRequest, "kind", "increase, decrease", HttpMethod.Post, "/api/key-results", Draft(kind: "sideways"));
        await RefusedAsync(HttpStatusCode.BadRequest, "kind", "increase, decrease", HttpMethod.Post, "/api/key-results", """{"title": "T", "owner": {"kind": "company"}, "kind": 1, "start": 0, "target": 1, "cycleId": "api-now"}""");
        await RefusedAsync(HttpStatusCode.BadRequest, "title", "must not be empty", HttpMethod.Post, "/api/key-results", Draft(title: ""));
        await RefusedAsync(HttpStatusCode.BadRequest, "start", "is required", HttpMethod.Post, "/api/key-results", Draft(start: null));
        await RefusedAsync(HttpStatusCode.BadRequest, "target", "needs a target above its start", HttpMethod.Post, "/api/key-results", Draft(start: 10, target: 5));
        await RefusedAsync(HttpStatusCode.BadRequest, "target", "must be within", HttpMethod.Post, "/api/key-results", Draft(target: 1e15));
        await RefusedAsync(HttpStatusCode.BadRequest, "weight", "must not be negative", HttpMethod.Post, "/api/key-results", Draft(objectiveId: objective.Id, weight: -1));
        await RefusedAsync(HttpStatusCode.BadRequest, "cycleId", "is required", HttpMethod.Post, "/api/key-results", Draft(cycleId: null));
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Post, "/api/key-results", Draft(objectiveId: Node("nope")));
        await RefusedAsync(HttpStatusCode.BadRequest, "objectiveId", "belongs to cycle", HttpMethod.Post, "/api/key-results", Draft(objectiveId: later.Id));
        await RefusedAsync(HttpStatusCode.BadRequest, "objectiveId", "only objectives can be parents", HttpMethod.Post, "/api/key-results", Draft(objectiveId: kr.Id));
        await RefusedAsync(HttpStatusCode.BadRequest, "kpiId", "needs the id of its KPI", HttpMethod.Post, "/api/key-results", Draft(kind: "kpiLinked"));
        await RefusedAsync(HttpStatusCode.NotFound, "kpiId", "does not exist", HttpMethod.Post, "/api/key-results", Draft(kind: "kpiLinked", kpiId: "nope"));
        await RefusedAsync(HttpStatusCode.Conflict, "id", "already exists", HttpMethod.Post, "/api/key-results",
            new { id = kr.Id[(ApiHost.CycleId.Length + 1)..], title = "T", owner = PersonOwner("ana"), kind = "increase", start = 0, target = 1, cycleId = ApiHost.CycleId });

        await RefusedAsync(HttpStatusCode.BadRequest, "target", "needs a target above its start", HttpMethod.Patch, $"/api/key-results/{kr.Id}", new { target = -5 });
        await RefusedAsync(HttpStatusCode.NotFound, "keyResultId", "does not exist", HttpMethod.Patch, $"/api/key-results/{Node("nope")}", new { title = "X" });
        await RefusedAsync(HttpStatusCode.NotFound, "keyResultId", "does not exist", HttpMethod.Patch, $"/api/key-results/{objective.Id}", new { title = "X" });
        await RefusedAsync(HttpStatusCode.BadRequest, "objectiveId", "is required", HttpMethod.Put, $"/api/key-results/{kr.Id}/objective", new { });
        await RefusedAsync(HttpStatusCode.BadRequest, "objectiveId", "belongs to cycle", HttpMethod.Put, $"/api/key-results/{kr.Id}/objective", new { objectiveId = later.Id });
        await RefusedAsync(HttpStatusCode.NotFound, "keyResultId", "does not exist", HttpMethod.Put, $"/api/key-results/{Node("nope")}/objective", new { objectiveId = objective.Id });
        await RefusedAsync(HttpStatusCode.NotFound, "keyResultId", "does not exist", HttpMethod.Delete, $"/api/key-results/{objective.Id}"); // an objective
        await RefusedAsync(HttpStatusCode.NotFound, "keyResultId", "does not exist", HttpMethod.Delete, "/api/key-results/garbage");
    }

    [Fact]
    public async Task TraceIdIsAcceptedAndNotStored()
    {
        var kr = await CreateKeyResultAsync(NewId("k"), null);
        using var response = await SendAsync(HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins", new { value = 50, traceId = "bench-42" }, NewId("t"));
        await AssertStatusAsync(HttpStatusCode.Created, response);
        Assert.Equal($"/api/key-results/{kr.Id}/check-ins", response.Headers.Location?.OriginalString);
        var stored = Assert.Single(await GetAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr.Id}/check-ins"));
        Assert.Null(stored.TraceId);
        Assert.Equal(0.5, (await response.Content.ReadFromJsonAsync<CheckInResult>(Json, Ct))!.Score.Progress, 9);
    }
}
