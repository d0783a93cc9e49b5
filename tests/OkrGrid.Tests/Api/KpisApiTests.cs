using System.Net;
using OkrGrid.Web.Apis;

namespace OkrGrid.Tests.Api;

/// <summary>KPIs and measurements through the API, and a KPI-linked key result following its KPI.</summary>
[Collection(ApiCollection.Name)]
public sealed class KpisApiTests(ApiHost host) : ApiTestBase(host)
{
    private Task<KpiView> CreateKpiAsync(string id) =>
        CreateAsync<KpiView>("/api/kpis",
            new { id, name = "Weekly active users", unit = "k", direction = "higherIsBetter", thresholds = new { green = 50, yellow = 40 }, baseline = 45, owner = TeamOwner("platform") },
            $"/api/kpis/{id}");

    [Fact]
    public async Task KpiIsCreatedMeasuredAndFeedsItsKeyResult()
    {
        var id = NewId("kpi");
        var kpi = await CreateKpiAsync(id);
        Assert.Equal(new KpiDefinition(id, "Weekly active users", "k", Direction.HigherIsBetter, new KpiThresholds(50, 40), 45, new Owner(OwnerKind.Team, "platform")), kpi.Definition);
        Assert.Equal(Health.NoData, kpi.State.Health);

        var objective = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var kr = await CreateKeyResultAsync(NewId("k"), objective.Id, start: 40, target: 60, kind: "kpiLinked", kpiId: id);

        var key = NewId("m");
        var recorded = await ExpectAsync<MeasurementResult>(HttpStatusCode.Created, HttpMethod.Post, $"/api/kpis/{id}/measurements", new { value = 42, note = "launch week" }, key);
        Assert.Equal((true, 42.0, Health.Yellow, true), (recorded.Applied, recorded.State.Latest!.Value, recorded.State.Health, recorded.State.BelowBaseline));
        var retry = await ExpectAsync<MeasurementResult>(HttpStatusCode.OK, HttpMethod.Post, $"/api/kpis/{id}/measurements", new { value = 42, note = "launch week" }, key);
        Assert.Equal((false, 42.0), (retry.Applied, retry.State.Latest!.Value));
        // The same key for another value is not a retry: 422, and 42 stands.
        await RefusedAsync((HttpStatusCode)422, "Idempotency-Key", "was already used for a different request", HttpMethod.Post,
            $"/api/kpis/{id}/measurements", new { value = 99 }, key, $"/api/kpis/{id}/measurements");

        // The key result takes the KPI's value: (42 − 40) / (60 − 40) = 0.1, and so does its only objective.
        await ObjectiveSettledAsync(objective.Id, 0.1);
        await ExpectAsync<MeasurementResult>(HttpStatusCode.Created, HttpMethod.Post, $"/api/kpis/{id}/measurements", new { value = 55 }, NewId("m"));
        await ObjectiveSettledAsync(objective.Id, 0.75);

        var measurements = await GetAsync<ImmutableArray<Measurement>>($"/api/kpis/{id}/measurements");
        Assert.Equal([42.0, 55], measurements.Select(m => m.Value));
        Assert.Equal(("launch week", WebSessions.AdminDisplayName), (measurements[0].Note, measurements[0].Author));
        var item = Assert.Single(await GetAsync<ImmutableArray<KpiListItem>>("/api/kpis"), k => k.Definition.Id == id);
        Assert.Equal((55.0, Health.Green, false), (item.State.Latest!.Value, item.State.Health, item.State.BelowBaseline));
        Assert.Equal([kr.Id], item.LinkedKeyResults);
        Assert.Equal([kr.Id], (await GetAsync<KpiView>($"/api/kpis/{id}")).LinkedKeyResults);

        // Linked: refused. Unlinked (the key result deleted): gone.
        await RefusedAsync(HttpStatusCode.Conflict, "kpiId", "feeds 1 key result", HttpMethod.Delete, $"/api/kpis/{id}", alsoUnchanged: $"/api/kpis/{id}");
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "takes its value from KPI", HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins", new { value = 1 }, NewId("k"), $"/api/key-results/{kr.Id}/check-ins");
        await NoContentAsync(HttpMethod.Delete, $"/api/key-results/{kr.Id}");
        await NoContentAsync(HttpMethod.Delete, $"/api/kpis/{id}");
        await RefusedAsync(HttpStatusCode.NotFound, "kpiId", "does not exist", HttpMethod.Get, $"/api/kpis/{id}");
        Assert.DoesNotContain(await GetAsync<ImmutableArray<KpiListItem>>("/api/kpis"), k => k.Definition.Id == id);
    }

    [Fact]
    public async Task BadKpisAndMeasurementsAreRefused()
    {
        var id = NewId("kpi");
        await CreateKpiAsync(id);
        object Draft(string? direction = "lowerIsBetter", double green = 2, double yellow = 5, object? owner = null, string? kpiId = null, bool thresholds = true) =>
            thresholds
                ? new { id = kpiId ?? NewId("kpi"), name = "Latency", direction, thresholds = new { green, yellow }, baseline = 4, owner = owner ?? CompanyOwner }
                : new { id = kpiId ?? NewId("kpi"), name = "Latency", direction, baseline = 4, owner = owner ?? CompanyOwner };

        await RefusedAsync(HttpStatusCode.Conflict, "id", "already exists", HttpMethod.Post, "/api/kpis", Draft(kpiId: id));
        await RefusedAsync(HttpStatusCode.BadRequest, "thresholds", "at or below the yellow one", HttpMethod.Post, "/api/kpis", Draft(green: 9, yellow: 5));
        await RefusedAsync(HttpStatusCode.BadRequest, "thresholds", "is required", HttpMethod.Post, "/api/kpis", Draft(thresholds: false));
        await RefusedAsync(HttpStatusCode.BadRequest, "thresholds.green", "is required", HttpMethod.Post, "/api/kpis",
            new { id = NewId("kpi"), name = "L", direction = "lowerIsBetter", thresholds = new { yellow = 1 }, baseline = 4, owner = CompanyOwner });
        await RefusedAsync(HttpStatusCode.BadRequest, "direction", "higherIsBetter, lowerIsBetter", HttpMethod.Post, "/api/kpis", Draft(direction: "sideways"));
        await RefusedAsync(HttpStatusCode.BadRequest, "direction", "is required", HttpMethod.Post, "/api/kpis", Draft(direction: null));
        await RefusedAsync(HttpStatusCode.NotFound, "owner", "does not exist", HttpMethod.Post, "/api/kpis", Draft(owner: TeamOwner("nope")));
        await RefusedAsync(HttpStatusCode.BadRequest, "baseline", "is required", HttpMethod.Post, "/api/kpis",
            new { id = NewId("kpi"), name = "L", direction = "lowerIsBetter", thresholds = new { green = 1, yellow = 2 }, owner = CompanyOwner });

        var url = $"/api/kpis/{id}/measurements";
        await RefusedAsync(HttpStatusCode.BadRequest, "Idempotency-Key", "is required", HttpMethod.Post, url, new { value = 1 }, alsoUnchanged: url);
        await RefusedAsync(HttpStatusCode.BadRequest, "clientId", "differs", HttpMethod.Post, url, new { value = 1, clientId = "a" }, "b", url);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "is required", HttpMethod.Post, url, new { note = "no value" }, NewId("m"), url);
        await RefusedAsync(HttpStatusCode.BadRequest, "value", "must be within", HttpMethod.Post, url, new { value = -1e14 }, NewId("m"), url);
        await RefusedAsync(HttpStatusCode.BadRequest, "at", "must not be in the future", HttpMethod.Post, url, new { value = 1, at = DateTimeOffset.UtcNow.AddHours(1) }, NewId("m"), url);
        await RefusedAsync(HttpStatusCode.NotFound, "kpiId", "does not exist", HttpMethod.Post, "/api/kpis/nope/measurements", new { value = 1 }, NewId("m"), url);
        await RefusedAsync(HttpStatusCode.NotFound, "kpiId", "does not exist", HttpMethod.Get, "/api/kpis/nope/measurements");
        await RefusedAsync(HttpStatusCode.NotFound, "kpiId", "does not exist", HttpMethod.Delete, "/api/kpis/nope");
    }
}
