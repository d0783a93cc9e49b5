using OkrGrid.Planning;
using OkrGrid.Tests.Engine;

namespace OkrGrid.Tests.Planning;

/// <summary>One engine for the scenario tests; each test works in its own cycle.</summary>
public sealed class ScenarioCluster : IAsyncLifetime
{
    public EngineCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Cluster = await EngineCluster.StartAsync("scenario", Demo.Now);
        await Cluster.Organisation.SetCompanyNameAsync("Acme");
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Scenarios on the real engine (PostgreSQL): durable, simulated on the live graph, applied all or none.</summary>
public sealed class ScenarioTests(ScenarioCluster fixture) : IClassFixture<ScenarioCluster>
{
    private readonly EngineCluster _c = fixture.Cluster;

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    [InlineData(29)]
    public async Task AppliedMovesConvergeToExactlyTheSimulatedAfterValues(int seed)
    {
        var rng = new Random(seed);
        var cycleId = $"apply{seed}";
        var graph = await GraphWithCheckInsAsync(cycleId, rng);
        var scenario = await NewScenarioAsync(cycleId);

        for (int i = 0; i < 8; i++)
        {
            var objective = graph.Objectives[rng.Next(graph.Objectives.Count)];
            await scenario.AddMoveAsync(rng.Next(3) switch
            {
                0 => new MoveKeyResult(graph.KeyResults[rng.Next(graph.KeyResults.Count)].Id, objective, rng.Next(1, 4)),
                1 => new RealignObjective(objective, [new ParentLink(graph.Objectives[rng.Next(graph.Objectives.Count)], rng.Next(1, 3))]),
                _ => new MoveKeyResult(graph.KeyResults[rng.Next(graph.KeyResults.Count)].Id, objective),
            });
        }
        var impact = await scenario.GetImpactAsync();
        Assert.False(impact.LiveChanged);
        // Apply is all or none: with invalid moves in it, it is refused and nothing changes.
        if (impact.Simulation.Rejected.Length > 0)
        {
            var edgesBefore = (await _c.Cycle(cycleId).GetSnapshotAsync()).Edges.ToHashSet();
            var refusal = await Assert.ThrowsAsync<OkrRejectedException>(() => scenario.ApplyAsync());
            Assert.StartsWith($"moves[{impact.Simulation.Rejected[0].Index}].", refusal.Field);
            Assert.True(edgesBefore.SetEquals((await _c.Cycle(cycleId).GetSnapshotAsync()).Edges));
            foreach (var index in impact.Simulation.Rejected.Select(r => r.Index).OrderDescending())
                await scenario.RemoveMoveAsync(index);
            impact = await scenario.GetImpactAsync();
        }
        Assert.Empty(impact.Simulation.Rejected);
        Assert.True(impact.Simulation.AppliedMoves > 0, $"seed {seed}: no valid move drawn");
        Assert.Contains(impact.Simulation.Impacts, i => Math.Abs(i.Delta) > 1e-9);

        var applied = await scenario.ApplyAsync();
        Assert.Equal(ScenarioState.Applied, applied.State);
        // The scenario keeps the simulation it was applied with (nothing else ran meanwhile: the same numbers).
        Assert.NotNull(applied.Applied);
        Assert.Equal(impact.Simulation.Impacts.Select(i => (i.NodeId, i.After.Progress)), applied.Applied.Impacts.Select(i => (i.NodeId, i.After.Progress)));
        Assert.Equal("state", (await Assert.ThrowsAsync<OkrRejectedException>(() => scenario.GetImpactAsync())).Field);

        var expected = impact.Simulation.Impacts.ToDictionary(i => i.NodeId, i => i.After);
        var live = await _c.WaitForAsync(cycleId, s => expected.All(e => Same(s.Scores[e.Key], e.Value)), TimeSpan.FromSeconds(20));
        foreach (var (id, after) in expected)
            Assert.True(Same(live.Scores[id], after), $"seed {seed}: {id} live {live.Scores[id].Progress} ({live.Scores[id].Status}), simulated {after.Progress} ({after.Status})");
    }

    [Fact]
    public async Task TheScenarioSaysWhenTheLiveGraphMovedOnAndResimulatesOnRequest()
    {
        var rng = new Random(5);
        var cycleId = "stale";
        var graph = await GraphWithCheckInsAsync(cycleId, rng);
        var scenario = await NewScenarioAsync(cycleId);
        var kr = graph.KeyResults.First(k => k.Kind == KeyResultKind.Increase);
        await scenario.AddMoveAsync(new MoveKeyResult(kr.Id, await ElsewhereAsync(cycleId, graph, kr.Id)));
        Assert.False((await scenario.GetImpactAsync()).LiveChanged);

        await _c.KeyResult(kr.Id).CheckInAsync(new CheckIn("late", 77, 0.5, "", "t", Demo.Now));
        await _c.WaitQuietAsync(cycleId);
        var stale = await scenario.GetImpactAsync();
        Assert.True(stale.LiveChanged);

        var fresh = await scenario.GetImpactAsync(resimulate: true);
        Assert.False(fresh.LiveChanged);
        Assert.True(fresh.Simulation.SnapshotTakenAt >= stale.Simulation.SnapshotTakenAt);
        Assert.False((await scenario.GetImpactAsync()).LiveChanged);

        // Another change of the structure, anywhere in the cycle (here: a weight no chain of the move reads) — the
        // simulation's structure is not the live one any more.
        var chains = fresh.Simulation.Impacts.Select(i => i.NodeId).ToHashSet();
        var edge = (await _c.Cycle(cycleId).GetSnapshotAsync()).Edges.First(e => !chains.Contains(e.ParentId) && e.ChildId != kr.Id);
        await _c.Cycle(cycleId).SetWeightAsync(edge.ParentId, edge.ChildId, edge.Weight + 1);
        Assert.True((await scenario.GetImpactAsync()).LiveChanged);
        Assert.False((await scenario.GetImpactAsync(resimulate: true)).LiveChanged);
    }

    [Fact]
    public async Task ScenariosAreDurableListedAndClosedOnceAppliedOrDiscarded()
    {
        var rng = new Random(9);
        var graph = await GraphWithCheckInsAsync("durable", rng);
        var kept = await NewScenarioAsync("durable", "Move the first key result");
        var move = new MoveKeyResult(graph.KeyResults[0].Id, await ElsewhereAsync("durable", graph, graph.KeyResults[0].Id), 2);
        await kept.AddMoveAsync(move);
        var dropped = await NewScenarioAsync("durable", "Never mind");

        await _c.StopAsync();
        await _c.StartAsync();

        var reread = await _c.Grains.GetGrain<IScenarioGrain>(kept.GetPrimaryKeyString()).GetAsync();
        Assert.Equal("Move the first key result", reread.Name);
        Assert.Equal(move, Assert.Single(reread.Moves));
        var listed = await _c.Grains.GetGrain<IScenarioCatalogGrain>(EngineCluster.Company).ListAsync();
        Assert.Equal(2, listed.Count(s => s.CycleId == "durable"));

        await _c.Grains.GetGrain<IScenarioGrain>(dropped.GetPrimaryKeyString()).DiscardAsync();
        var closed = await Assert.ThrowsAsync<OkrRejectedException>(() =>
            _c.Grains.GetGrain<IScenarioGrain>(dropped.GetPrimaryKeyString()).AddMoveAsync(move));
        Assert.Equal("state", closed.Field);
        Assert.Contains(await _c.Grains.GetGrain<IScenarioCatalogGrain>(EngineCluster.Company).ListAsync(),
            s => s.Id == dropped.GetPrimaryKeyString() && s.State == ScenarioState.Discarded);
    }

    [Fact]
    public async Task BadScenarioInputIsRefusedWithFieldAndReason()
    {
        var bad = await Assert.ThrowsAsync<OkrRejectedException>(() =>
            _c.Grains.GetGrain<IScenarioGrain>("bad1").CreateAsync(new ScenarioDraft("", EngineCluster.Company, "nope")));
        Assert.Equal("name", bad.Field);
        var unknownCycle = await Assert.ThrowsAsync<OkrRejectedException>(() =>
            _c.Grains.GetGrain<IScenarioGrain>("bad2").CreateAsync(new ScenarioDraft("x", EngineCluster.Company, "nope")));
        Assert.Equal("cycleId", unknownCycle.Field);

        await GraphWithCheckInsAsync("shape", new Random(1));
        var scenario = await NewScenarioAsync("shape");
        Assert.Equal("weight", (await Assert.ThrowsAsync<OkrRejectedException>(() => scenario.AddMoveAsync(new MoveKeyResult("shape:a", "shape:b", double.NaN)))).Field);
        Assert.Equal("keyResultId", (await Assert.ThrowsAsync<OkrRejectedException>(() => scenario.AddMoveAsync(new MoveKeyResult(" ", "shape:b")))).Field);
        Assert.Equal("index", (await Assert.ThrowsAsync<OkrRejectedException>(() => scenario.RemoveMoveAsync(3))).Field);
        Assert.Empty((await scenario.GetAsync()).Moves);
    }

    private static bool Same(NodeScore live, NodeScore simulated) =>
        Math.Abs(live.Progress - simulated.Progress) < 1e-12 && live.Status == simulated.Status && live.NoData == simulated.NoData;

    /// <summary>An objective that is not the key result's current parent (so moving there is a real move).</summary>
    private async Task<string> ElsewhereAsync(string cycleId, RandomGraph graph, string keyResultId)
    {
        var parent = (await _c.Cycle(cycleId).GetSnapshotAsync()).Edges.Single(e => e.ChildId == keyResultId).ParentId;
        return graph.Objectives.First(o => o != parent);
    }

    private async Task<IScenarioGrain> NewScenarioAsync(string cycleId, string name = "Plan")
    {
        var scenario = _c.Grains.GetGrain<IScenarioGrain>($"{cycleId}-{Guid.NewGuid():N}");
        await scenario.CreateAsync(new ScenarioDraft(name, EngineCluster.Company, cycleId, "planner"));
        return scenario;
    }

    /// <summary>A random graph with check-ins on its manual key results, settled.</summary>
    private async Task<RandomGraph> GraphWithCheckInsAsync(string cycleId, Random rng)
    {
        await _c.Organisation.CreateCycleAsync(new CycleDefinition(cycleId, cycleId, Demo.CycleStart, Demo.CycleEnd));
        var graph = await RandomGraph.BuildAsync(_c, rng, objectives: 15, keyResults: 30, kpis: 0, cycleId);
        var i = 0;
        foreach (var kr in graph.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked))
        {
            var value = kr.Kind == KeyResultKind.Milestone ? rng.Next(2) : Math.Round(kr.Start + (kr.Target - kr.Start) * rng.NextDouble(), 2);
            await _c.KeyResult(kr.Id).CheckInAsync(new CheckIn($"seed{i++}", value, 0.5, "", "t", Demo.CycleStart.AddDays(3)));
        }
        await _c.WaitQuietAsync(cycleId);
        return graph;
    }
}
