using System.Collections.Concurrent;
using OkrGrid.Workload;

namespace OkrGrid.Tests.Engine;

/// <summary>
/// Random graphs under hundreds of concurrent check-ins, measurements and re-parentings: once quiet, every node
/// equals the pure reference computed from the final inputs.
/// </summary>
public sealed class ConvergenceTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync() => _c = await EngineCluster.StartAsync("converge", Demo.Now);

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(2026)]
    public async Task EveryNodeEqualsTheReferenceAfterQuiescence(int seed)
    {
        // Each seed gets its own cycle in the shared database.
        var cycleId = $"s{seed}";
        var rng = new Random(seed);
        await EnsureOrganisationAsync();
        await _c.Organisation.CreateCycleAsync(new CycleDefinition(cycleId, $"Seed {seed}", Demo.CycleStart, Demo.CycleEnd));
        var graph = await RandomGraph.BuildAsync(_c, rng, objectives: 25, keyResults: 50, kpis: 3, cycleId);

        var checkIns = new ConcurrentDictionary<string, ConcurrentBag<CheckIn>>();
        var measurements = new ConcurrentDictionary<string, ConcurrentBag<Measurement>>();
        var ops = PlanOperations(rng, graph, count: 400);
        var cycle = _c.Cycle(cycleId);

        await Parallel.ForEachAsync(ops, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (op, _) =>
        {
            switch (op)
            {
                case CheckInOp ci:
                    var r = await _c.KeyResult(ci.KeyResultId).CheckInAsync(ci.CheckIn);
                    if (r.Applied) checkIns.GetOrAdd(ci.KeyResultId, _ => []).Add(ci.CheckIn);
                    break;
                case MeasureOp m:
                    var mr = await _c.Kpi(m.KpiId).RecordAsync(m.Measurement);
                    if (mr.Applied) measurements.GetOrAdd(m.KpiId, _ => []).Add(m.Measurement);
                    break;
                case MoveOp mv:
                    await cycle.MoveKeyResultAsync(mv.KeyResultId, mv.ObjectiveId, mv.Weight);
                    break;
                case AlignOp al:
                    try { await cycle.AlignObjectiveAsync(al.ObjectiveId, al.Parents); }
                    catch (OkrRejectedException e) when (e.Kind == RejectionKind.Conflict) { } // would close a loop
                    break;
            }
        });

        // Every acknowledged check-in counted once, retries included.
        foreach (var kr in graph.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked))
        {
            var history = await _c.KeyResult(kr.Id).GetHistoryAsync();
            Assert.True(history.Length == (checkIns.TryGetValue(kr.Id, out var bag) ? bag.Count : 0),
                $"seed {seed}: {kr.Id} has {history.Length} check-ins, {bag?.Count ?? 0} were acknowledged");
        }

        Dictionary<string, NodeScore> reference = [];
        var snapshot = await _c.WaitForAsync(cycleId, s =>
        {
            reference = Reference(s, checkIns, measurements);
            return ReferenceCheck.Differences(s, reference).Count == 0;
        }, TimeSpan.FromSeconds(20));
        var diffs = ReferenceCheck.Differences(snapshot, reference);
        Assert.True(diffs.Count == 0, $"seed {seed}: {diffs.Count} node(s) differ from the reference:\n{string.Join("\n", diffs.Take(10))}");
        Assert.Equal(graph.Objectives.Count + graph.KeyResults.Count, snapshot.Scores.Count);
        // Every score came from a live grain (a snapshot scores only inactive nodes itself, with version 0).
        Assert.All(snapshot.Scores.Values, s => Assert.True(s.Version > 0, $"seed {seed}: {s.NodeId} was not live"));
    }

    private async Task EnsureOrganisationAsync()
    {
        var org = await _c.Organisation.GetAsync();
        if (org.CompanyName.Length == 0) await _c.Organisation.SetCompanyNameAsync("Acme");
    }

    private Dictionary<string, NodeScore> Reference(CycleSnapshot s,
        ConcurrentDictionary<string, ConcurrentBag<CheckIn>> checkIns, ConcurrentDictionary<string, ConcurrentBag<Measurement>> measurements)
    {
        var elapsed = Rules.ExpectedProgress(s.Cycle.Definition.Start, s.Cycle.Definition.End, _c.Clock.UtcNow);
        return GraphScorer.Score(s.Objectives, s.KeyResults, s.Edges, kr =>
        {
            if (kr.Kind == KeyResultKind.KpiLinked)
            {
                var latest = measurements.TryGetValue(kr.KpiId!, out var ms) ? ms.MaxBy(m => m.At) : null;
                return KeyResultInput.FromKpi(kr, latest?.Value, null);
            }
            return KeyResultInput.FromCheckIns(kr, checkIns.TryGetValue(kr.Id, out var bag) ? bag : []);
        }, elapsed, s.Policy);
    }

    private abstract record Op;
    private sealed record CheckInOp(string KeyResultId, CheckIn CheckIn) : Op;
    private sealed record MeasureOp(string KpiId, Measurement Measurement) : Op;
    private sealed record MoveOp(string KeyResultId, string? ObjectiveId, double Weight) : Op;
    private sealed record AlignOp(string ObjectiveId, ImmutableArray<ParentLink> Parents) : Op;

    private static List<Op> PlanOperations(Random rng, RandomGraph g, int count)
    {
        var ops = new List<Op>();
        var manual = g.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked).ToList();
        // Distinct times: the latest check-in by time is then the same whatever order they arrive in.
        var times = Enumerable.Range(0, count).Select(i => Demo.CycleStart.AddDays(1).AddMinutes(i)).OrderBy(_ => rng.Next()).ToList();
        var issued = new List<CheckInOp>();
        for (int i = 0; i < count; i++)
        {
            var roll = rng.NextDouble();
            if (roll < 0.65 && manual.Count > 0)
            {
                var kr = manual[rng.Next(manual.Count)];
                var value = kr.Kind == KeyResultKind.Milestone ? rng.Next(2) : Math.Round(rng.NextDouble() * 150 - 20, 2);
                double? confidence = rng.NextDouble() < 0.5 ? Math.Round(rng.NextDouble(), 2) : null;
                var op = new CheckInOp(kr.Id, new CheckIn($"c{i}", value, confidence, "", "prop", times[i]));
                issued.Add(op);
                ops.Add(op);
            }
            else if (roll < 0.70 && issued.Count > 0)
            {
                ops.Add(issued[rng.Next(issued.Count)]); // a retry of an earlier check-in: applies once
            }
            else if (roll < 0.80 && g.Kpis.Count > 0)
            {
                ops.Add(new MeasureOp(g.Kpis[rng.Next(g.Kpis.Count)], new Measurement($"m{i}", Math.Round(rng.NextDouble() * 120, 2), times[i])));
            }
            else if (roll < 0.92)
            {
                var kr = g.KeyResults[rng.Next(g.KeyResults.Count)];
                var to = rng.NextDouble() < 0.05 ? null : g.Objectives[rng.Next(g.Objectives.Count)];
                ops.Add(new MoveOp(kr.Id, to, RandomGraph.RandomWeight(rng)));
            }
            else
            {
                var o = g.Objectives[rng.Next(g.Objectives.Count)];
                var parents = Enumerable.Range(0, rng.Next(3)).Select(_ => g.Objectives[rng.Next(g.Objectives.Count)])
                    .Where(p => p != o).Distinct().Select(p => new ParentLink(p, RandomGraph.RandomWeight(rng))).ToImmutableArray();
                ops.Add(new AlignOp(o, parents));
            }
        }
        return ops;
    }
}
