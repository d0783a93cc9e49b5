namespace OkrGrid.Tests.Engine;

/// <summary>Acknowledged check-ins and measurements survive the silo going away; scores come back identical.</summary>
public sealed class DurabilityTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("durable", Demo.Now);
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task ScoresAreIdenticalAfterTheSiloIsKilledAndRecreated()
    {
        var rng = new Random(11);
        var graph = await RandomGraph.BuildAsync(_c, rng, objectives: 15, keyResults: 40, kpis: 2, Demo.CycleId);
        var acknowledged = new List<(string Kr, CheckIn CheckIn)>();
        var manual = graph.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked).ToList();
        var tasks = Enumerable.Range(0, 300).Select(async i =>
        {
            var kr = manual[i % manual.Count];
            var value = kr.Kind == KeyResultKind.Milestone ? i % 2 : i % 130;
            var checkIn = new CheckIn($"d{i}", value, (i % 10) / 10.0, $"note {i}", "alice", Demo.CycleStart.AddHours(i + 1));
            var r = await _c.KeyResult(kr.Id).CheckInAsync(checkIn);
            Assert.True(r.Applied);
            lock (acknowledged) acknowledged.Add((kr.Id, checkIn));
        }).ToList();
        await Task.WhenAll(tasks);
        await _c.Kpi(graph.Kpis[0]).RecordAsync(new Measurement("m1", 77, Demo.CycleStart.AddDays(3), "weekly", "bob"));
        await _c.Kpi(graph.Kpis[1]).RecordAsync(new Measurement("m2", 12, Demo.CycleStart.AddDays(4)));

        var before = await _c.WaitQuietAsync(Demo.CycleId);

        // No graceful shutdown: the silo is killed, all activations and queues are gone.
        await _c.KillAsync();
        await _c.StartAsync();

        // Straight after the restart no node is active: the snapshot scores them from the journal.
        var after = await _c.Cycle(Demo.CycleId).GetSnapshotAsync();
        Assert.Equal(before.Scores.Count, after.Scores.Count);
        foreach (var (id, score) in before.Scores)
            Assert.True(score.SameAs(after.Scores[id]), $"{id}: before {score}, after (snapshot) {after.Scores[id]}");

        // And every node, activated again, recomputes exactly the same score from the same facts.
        foreach (var (id, score) in before.Scores)
        {
            IScoredNode node = before.Objectives.Any(o => o.Id == id) ? _c.Objective(id) : _c.KeyResult(id);
            var again = await node.GetScoreAsync();
            Assert.True(score.SameAs(again), $"{id}: before {score}, after (live) {again}");
            Assert.True(again.Version > score.Version, "versions keep growing across activations");
        }

        // The history holds every acknowledged check-in with all its fields.
        foreach (var group in acknowledged.GroupBy(a => a.Kr))
        {
            var history = await _c.KeyResult(group.Key).GetHistoryAsync();
            Assert.Equal(group.Select(g => g.CheckIn).OrderBy(c => c.At), history);
        }
        var kpi = await _c.Kpi(graph.Kpis[0]).GetViewAsync();
        Assert.Equal(77, kpi.State.Latest);
        Assert.Equal("weekly", Assert.Single(kpi.Recent).Note);
    }

    [Fact]
    public async Task ARetriedCheckInAfterRestartIsNotAppliedTwice()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var o = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Retry", Demo.Company));
        var kr = await cycle.CreateKeyResultAsync(new KeyResultDraft("Count", Demo.Company, KeyResultKind.Increase, 0, 10, o.Id));
        var checkIn = Demo.CheckIn(4, id: "same-id");
        Assert.True((await _c.KeyResult(kr.Id).CheckInAsync(checkIn)).Applied);

        await _c.KillAsync();
        await _c.StartAsync();

        var retry = await _c.KeyResult(kr.Id).CheckInAsync(checkIn);
        Assert.False(retry.Applied);
        Assert.Equal(0.4, retry.Score.Progress, 9);
        Assert.Single(await _c.KeyResult(kr.Id).GetHistoryAsync());
        // The same id with another value is not a retry: refused, and the stored check-in stands.
        var other = await Assert.ThrowsAsync<OkrRejectedException>(() => _c.KeyResult(kr.Id).CheckInAsync(checkIn with { Value = 9 }));
        Assert.Equal(RejectionKind.Mismatch, other.Kind);
        Assert.Single(await _c.KeyResult(kr.Id).GetHistoryAsync());
    }
}
