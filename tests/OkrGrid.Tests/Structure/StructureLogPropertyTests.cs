using OkrGrid.Tests.Engine;
using OkrGrid.Workload;

namespace OkrGrid.Tests.Structure;

/// <summary>
/// Random interleavings of structural changes and check-ins (some back-dated), each at its own instant. Afterwards the
/// live engine, the engine restarted from its snapshots and log, and time travel to every recorded instant all equal a
/// pure reference: a plain model of the structure kept by the test, scored with the rules over the facts dated by then.
/// </summary>
public sealed class StructureLogPropertyTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    // Snapshots every 15 changes: the replays and time travel cross several snapshots and the memory/database paths.
    // The test clock jumps hours between changes; live nodes re-evaluate their status against it often.
    public async ValueTask InitializeAsync() =>
        _c = await EngineCluster.StartAsync("structlog", Demo.CycleStart.AddHours(1), engine: o =>
        {
            o.SnapshotEvery = 15;
            o.StatusRefresh = TimeSpan.FromMilliseconds(200);
        });

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    [InlineData(29)]
    public async Task LiveRestartedAndEveryPastInstantEqualTheReference(int seed)
    {
        var rng = new Random(seed);
        var cycleId = $"t{seed}";
        _c.Clock.UtcNow = Demo.CycleStart.AddHours(1);
        var org = await _c.Organisation.GetAsync();
        if (org.CompanyName.Length == 0) await _c.Organisation.SetCompanyNameAsync("Acme");
        var kpiId = $"{cycleId}-kpi";
        await _c.Organisation.CreateKpiAsync(new KpiDefinition(kpiId, "Uptime", "%", Direction.HigherIsBetter, new KpiThresholds(80, 50), 50, Demo.Company));
        await _c.Organisation.CreateCycleAsync(new CycleDefinition(cycleId, $"Seed {seed}", Demo.CycleStart, Demo.CycleEnd));
        var cycle = _c.Cycle(cycleId);

        var model = new Model();
        var checkIns = new List<(string KeyResultId, CheckIn CheckIn)>();
        var measurements = new List<Measurement>();
        var instants = new List<(DateTimeOffset At, Model State)>();

        for (int i = 0; i < 160; i++)
        {
            _c.Clock.UtcNow = _c.Clock.UtcNow.AddMinutes(rng.Next(1, 240));
            var now = _c.Clock.UtcNow;
            var roll = rng.NextDouble();
            if (model.Objectives.Count < 3 || roll < 0.15)
            {
                var parents = model.RandomObjectives(rng, rng.Next(3)).Select(p => new ParentLink(p, RandomGraph.RandomWeight(rng))).ToImmutableArray();
                var o = await cycle.CreateObjectiveAsync(new ObjectiveDraft($"Objective {i}", Demo.Company, "", (RollUpMode)rng.Next(3), parents));
                model.Objectives[o.Id] = o;
                foreach (var p in parents) model.Edges.Add(new Edge(p.ParentId, o.Id, p.Weight));
            }
            else if (roll < 0.35)
            {
                var kind = (KeyResultKind)rng.Next(6);
                var (start, target) = kind switch
                {
                    KeyResultKind.Increase or KeyResultKind.KpiLinked => (0.0, 100.0),
                    KeyResultKind.Decrease => (100.0, 0.0),
                    KeyResultKind.Milestone => (0.0, 1.0),
                    _ => (40.0, 50.0),
                };
                var parent = rng.NextDouble() < 0.1 ? null : model.RandomObjectives(rng, 1).FirstOrDefault();
                var weight = RandomGraph.RandomWeight(rng);
                var kr = await cycle.CreateKeyResultAsync(new KeyResultDraft($"KR {i}", Demo.Company, kind, start, target, parent, weight, "pts",
                    kind == KeyResultKind.KpiLinked ? kpiId : null));
                model.KeyResults[kr.Id] = kr;
                if (parent is not null) model.Edges.Add(new Edge(parent, kr.Id, weight));
            }
            else if (roll < 0.45)
            {
                var o = model.RandomObjectives(rng, 1)[0];
                var parents = model.RandomObjectives(rng, rng.Next(3)).Where(p => p != o).Select(p => new ParentLink(p, RandomGraph.RandomWeight(rng))).ToImmutableArray();
                var loop = parents.Any(p => model.IsAtOrBelow(p.ParentId, o));
                try
                {
                    await cycle.AlignObjectiveAsync(o, parents);
                    Assert.False(loop, $"seed {seed}: aligning {o} under {string.Join(",", parents.Select(p => p.ParentId))} closes a loop but was accepted");
                    model.Edges.RemoveAll(e => e.ChildId == o);
                    foreach (var p in parents) model.Edges.Add(new Edge(p.ParentId, o, p.Weight));
                }
                catch (OkrRejectedException e) when (e.Kind == RejectionKind.Conflict)
                {
                    Assert.True(loop, $"seed {seed}: aligning {o} was refused as a loop: {e.Reason}");
                    continue; // nothing changed: no instant to record
                }
            }
            else if (roll < 0.52 && model.KeyResults.Count > 0)
            {
                var kr = model.KeyResults.Keys.ElementAt(rng.Next(model.KeyResults.Count));
                var to = rng.NextDouble() < 0.1 ? null : model.RandomObjectives(rng, 1)[0];
                var weight = RandomGraph.RandomWeight(rng);
                await cycle.MoveKeyResultAsync(kr, to, weight);
                model.Edges.RemoveAll(e => e.ChildId == kr);
                if (to is not null) model.Edges.Add(new Edge(to, kr, weight));
            }
            else if (roll < 0.57 && model.Edges.Count > 0)
            {
                var edge = model.Edges[rng.Next(model.Edges.Count)];
                var weight = RandomGraph.RandomWeight(rng) + 0.25;
                await cycle.SetWeightAsync(edge.ParentId, edge.ChildId, weight);
                model.Edges[model.Edges.IndexOf(edge)] = edge with { Weight = weight };
            }
            else if (roll < 0.61 && model.KeyResults.Count > 0)
            {
                var kr = model.KeyResults.Values.ElementAt(rng.Next(model.KeyResults.Count));
                if (kr.Kind is KeyResultKind.Increase or KeyResultKind.Decrease)
                {
                    var edited = await cycle.EditKeyResultAsync(kr.Id, new KeyResultEdit(Target: kr.Target + rng.Next(-30, 60)));
                    model.KeyResults[kr.Id] = edited;
                }
                else continue;
            }
            else if (roll < 0.66 && model.NodeCount > 4)
            {
                var id = rng.NextDouble() < 0.6 && model.KeyResults.Count > 0
                    ? model.KeyResults.Keys.ElementAt(rng.Next(model.KeyResults.Count))
                    : model.RandomObjectives(rng, 1)[0];
                await cycle.DeleteAsync(id, detachChildren: true);
                model.Objectives.Remove(id);
                model.KeyResults.Remove(id);
                model.Edges.RemoveAll(e => e.ParentId == id || e.ChildId == id);
            }
            else if (roll < 0.72)
            {
                // A measurement for the KPI, sometimes back-dated.
                var m = new Measurement($"m{i}", Math.Round(rng.NextDouble() * 100, 1), now.AddMinutes(-rng.Next(0, 600)));
                if ((await _c.Kpi(kpiId).RecordAsync(m)).Applied) measurements.Add(m);
                continue; // a fact, not a structural change: its instant is covered by the next change's
            }
            else
            {
                var manual = model.KeyResults.Values.Where(k => k.Kind != KeyResultKind.KpiLinked).ToList();
                if (manual.Count == 0) continue;
                var kr = manual[rng.Next(manual.Count)];
                var value = kr.Kind == KeyResultKind.Milestone ? rng.Next(2) : Math.Round(rng.NextDouble() * 120 - 10, 1);
                double? confidence = rng.NextDouble() < 0.5 ? Math.Round(rng.NextDouble(), 2) : null;
                // Back-dated up to a day, possibly to before the key result or its current alignment existed.
                var at = now.AddMinutes(-rng.Next(0, 1440));
                if (at < Demo.CycleStart) at = Demo.CycleStart;
                var checkIn = new CheckIn($"c{i}", value, confidence, "", "prop", at);
                if ((await _c.KeyResult(kr.Id).CheckInAsync(checkIn)).Applied) checkIns.Add((kr.Id, checkIn));
                continue;
            }
            instants.Add((now, model.Clone()));
        }
        Assert.True(instants.Count > 60, $"seed {seed}: only {instants.Count} structural changes were made");

        // Time travel to every instant a structural change was made — with all facts known now, dated by then.
        await AssertEveryInstantAsync(seed, cycle, instants, checkIns, measurements, "live");

        // The live engine, once quiet, equals the reference now.
        var final = (_c.Clock.UtcNow, model);
        Dictionary<string, NodeScore> reference = [];
        var snapshot = await _c.WaitForAsync(cycleId, s =>
        {
            reference = Reference(final.model, checkIns, measurements, final.UtcNow);
            return ReferenceCheck.Differences(s, reference).Count == 0;
        }, TimeSpan.FromSeconds(20));
        AssertSame(seed, "live now", snapshot, final.model, reference);

        // Restarted from its snapshots and log: the same structure now and at every instant.
        await _c.StopAsync();
        await _c.StartAsync();
        var restarted = await _c.Cycle(cycleId).GetSnapshotAsync();
        AssertSame(seed, "restarted now", restarted, final.model, Reference(final.model, checkIns, measurements, final.UtcNow));
        await AssertEveryInstantAsync(seed, _c.Cycle(cycleId), instants, checkIns, measurements, "restarted");
    }

    private static async Task AssertEveryInstantAsync(int seed, ICycleGrain cycle, List<(DateTimeOffset At, Model State)> instants,
        List<(string, CheckIn)> checkIns, List<Measurement> measurements, string phase)
    {
        foreach (var (at, state) in instants)
        {
            var past = await cycle.GetSnapshotAtAsync(at);
            AssertSame(seed, $"{phase} at {at:O}", past, state, Reference(state, checkIns, measurements, at));
        }
    }

    private static void AssertSame(int seed, string what, CycleSnapshot snapshot, Model state, Dictionary<string, NodeScore> reference)
    {
        Assert.Equal(state.Objectives.Keys.Order(), snapshot.Objectives.Select(o => o.Id).Order());
        Assert.Equal(state.KeyResults.Values.OrderBy(k => k.Id), snapshot.KeyResults.OrderBy(k => k.Id));
        Assert.Equal(state.Edges.Select(e => $"{e.ParentId}>{e.ChildId}:{e.Weight}").Order(), snapshot.Edges.Select(e => $"{e.ParentId}>{e.ChildId}:{e.Weight}").Order());
        var diffs = ReferenceCheck.Differences(snapshot, reference);
        Assert.True(diffs.Count == 0, $"seed {seed}, {what}: {diffs.Count} node(s) differ from the reference:\n{string.Join("\n", diffs.Take(8))}");
    }

    /// <summary>The pure reference: the model's structure, each key result's latest fact dated at or before the instant.</summary>
    private static Dictionary<string, NodeScore> Reference(Model state, List<(string KeyResultId, CheckIn CheckIn)> checkIns,
        List<Measurement> measurements, DateTimeOffset at)
    {
        var elapsed = Rules.ExpectedProgress(Demo.CycleStart, Demo.CycleEnd, at);
        // Among facts at the same time the later arrival wins, as in the journal.
        var latestMeasurement = measurements.Where(m => m.At <= at).Select((m, i) => (m, i)).OrderBy(x => x.m.At).ThenBy(x => x.i).LastOrDefault().m;
        return GraphScorer.Score(state.Objectives.Values, state.KeyResults.Values, state.Edges, kr =>
            kr.Kind == KeyResultKind.KpiLinked
                ? KeyResultInput.FromKpi(kr, latestMeasurement?.Value, null)
                : KeyResultInput.FromCheckIns(kr, checkIns.Where(c => c.KeyResultId == kr.Id && c.CheckIn.At <= at).Select(c => c.CheckIn)),
            elapsed, ScoringPolicy.Default);
    }

    /// <summary>The test's own model of a cycle's structure: plain collections, no indexes.</summary>
    private sealed class Model
    {
        public Dictionary<string, ObjectiveDefinition> Objectives { get; init; } = [];
        public Dictionary<string, KeyResultDefinition> KeyResults { get; init; } = [];
        public List<Edge> Edges { get; init; } = [];
        public int NodeCount => Objectives.Count + KeyResults.Count;

        public Model Clone() => new() { Objectives = new(Objectives), KeyResults = new(KeyResults), Edges = [.. Edges] };

        public List<string> RandomObjectives(Random rng, int count) =>
            Objectives.Count == 0 ? [] : Enumerable.Range(0, count).Select(_ => Objectives.Keys.ElementAt(rng.Next(Objectives.Count))).Distinct().ToList();

        /// <summary>True when <paramref name="id"/> is <paramref name="ancestor"/> or below it.</summary>
        public bool IsAtOrBelow(string id, string ancestor)
        {
            var below = new HashSet<string> { ancestor };
            var frontier = new Queue<string>([ancestor]);
            while (frontier.TryDequeue(out var n))
                foreach (var e in Edges.Where(e => e.ParentId == n))
                    if (below.Add(e.ChildId)) frontier.Enqueue(e.ChildId);
            return below.Contains(id);
        }
    }
}
