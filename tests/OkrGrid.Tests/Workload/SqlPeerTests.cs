using Npgsql;
using OkrGrid.Tests.Engine;
using OkrGrid.Workload;
using OkrGrid.Workload.Peer;

namespace OkrGrid.Tests.Workload;

/// <summary>
/// The plain-SQL peer of the benchmark on real PostgreSQL: its scores must be those of <see cref="GraphScorer"/>,
/// initially, after many concurrent check-ins and measurements (on a company-shaped and on an irregular graph), and
/// on a tiny graph worked out by hand.
/// </summary>
public sealed class SqlPeerTests : IAsyncLifetime
{
    private const double Tolerance = 1e-9;
    private string _cs = "";

    public async ValueTask InitializeAsync() => _cs = await TestDatabase.CreateAsync("peer");

    public async ValueTask DisposeAsync() => await TestDatabase.DropAsync(_cs);

    [Fact]
    public async Task InitialProgressIsTheReferenceScorersForEveryNode()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = OrgGenerator.Generate(1000, seed: 11, OrgGenerator.QuarterAround(DateTimeOffset.UtcNow));
        await using var peer = await SqlPeer.CreateAsync(_cs, org, ct);

        var expected = Reference(org, KeyResultInput.Initial);
        var actual = await peer.ReadScoresAsync(ct);
        AssertSameScores(expected, actual);
        // Not all zeros: stay-at-or-below key results start met.
        Assert.Contains(actual.Values, s => s.Progress > 0);
    }

    [Fact]
    public async Task ConcurrentCheckInsAndMeasurementsEndAtTheReferenceScores()
    {
        var ct = TestContext.Current.CancellationToken;
        var cycle = OrgGenerator.QuarterAround(DateTimeOffset.UtcNow);
        var org = OrgGenerator.Generate(1000, seed: 23, cycle);
        await using var peer = await SqlPeer.CreateAsync(_cs, org, ct);

        var actual = await RunConcurrentlyAsync(peer, org, new Random(5), checkIns: 400, measurements: 40, ct);

        // The workload did move things, up to the roots.
        var initial = Reference(org, KeyResultInput.Initial);
        Assert.Contains(org.Roots, r => Math.Abs(initial[r.Id].Progress - actual[r.Id].Progress) > 1e-6);
        Assert.Contains(org.KeyResults, k => k.Kind == KeyResultKind.KpiLinked && !actual[k.Id].NoData);
    }

    /// <summary>
    /// Not a company's neat layers: objectives aligned to one or two of any earlier objectives, so paths to an
    /// ancestor have different lengths, some objectives have no children, every roll-up mode and kind is common.
    /// </summary>
    [Fact]
    public async Task AnIrregularGraphUnderConcurrentCheckInsEndsAtTheReferenceScores()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = IrregularOrg(new Random(31), objectives: 120, keyResults: 300, kpis: 4);
        await using var peer = await SqlPeer.CreateAsync(_cs, org, ct);
        AssertSameScores(Reference(org, KeyResultInput.Initial), await peer.ReadScoresAsync(ct));

        await RunConcurrentlyAsync(peer, org, new Random(8), checkIns: 300, measurements: 30, ct);
    }

    /// <summary>
    /// Edges (parent ← child, weight):
    ///   C1 (company, KRs + objectives) ← T ×1, k1 ×1
    ///   C2 (company, objectives only)  ← T ×2, U ×1, k7 ×5 (a KR: not counted)
    ///   T  (team, KRs + objectives)    ← k2 ×2, k4 ×1, k5 ×1, k6 ×0 (weight 0: not counted)
    ///   U  (team, KRs only)            ← k3 ×1
    /// T has two parents. k1 increase 0→100, k2 decrease 50→10, k3 milestone, k4 stay ≤ 10 from 5, k5 KPI-linked
    /// 40→60 on "kpi0", k6 increase 0→10, k7 increase 0→10.
    /// </summary>
    [Fact]
    public async Task AnObjectiveWithTwoParentsIsScoredAsWorkedOutByHand()
    {
        var ct = TestContext.Current.CancellationToken;
        var cycle = new CycleDefinition("hand", "hand", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero));
        var company = Owner.Company("co");
        ObjectiveDefinition O(string id, RollUpMode mode) => new($"hand:{id}", "hand", id, "", company, mode);
        KeyResultDefinition K(string id, KeyResultKind kind, double start, double target, string? kpi = null) =>
            new($"hand:{id}", "hand", id, company, kind, start, target, "", kpi);
        Edge E(string parent, string child, double weight) => new($"hand:{parent}", $"hand:{child}", weight);
        var org = new SyntheticOrg("co", cycle, [], [],
            [new KpiDefinition("kpi0", "KPI 0", "pts", Direction.HigherIsBetter, new KpiThresholds(60, 45), 50, company)],
            [O("C1", RollUpMode.KeyResultsAndObjectives), O("C2", RollUpMode.ObjectivesOnly), O("T", RollUpMode.KeyResultsAndObjectives), O("U", RollUpMode.KeyResultsOnly)],
            [K("k1", KeyResultKind.Increase, 0, 100), K("k2", KeyResultKind.Decrease, 50, 10), K("k3", KeyResultKind.Milestone, 0, 1),
             K("k4", KeyResultKind.StayAtOrBelow, 5, 10), K("k5", KeyResultKind.KpiLinked, 40, 60, "kpi0"),
             K("k6", KeyResultKind.Increase, 0, 10), K("k7", KeyResultKind.Increase, 0, 10)],
            [E("C1", "T", 1), E("C1", "k1", 1), E("C2", "T", 2), E("C2", "U", 1), E("C2", "k7", 5),
             E("T", "k2", 2), E("T", "k4", 1), E("T", "k5", 1), E("T", "k6", 0), E("U", "k3", 1)]);
        await using var peer = await SqlPeer.CreateAsync(_cs, org, ct);

        // Before any check-in everything stands at its start: only k4 (5 ≤ 10) is met.
        //   T = (2×0 + 1×1 + 1×0) / 4 = 0.25;  U = 0;  C1 = (0.25 + 0) / 2 = 0.125;  C2 = (2×0.25 + 0) / 3 = 1/6.
        var s = await peer.ReadScoresAsync(ct);
        Assert.Equal(1, s["hand:k4"].Progress, Tolerance);
        Assert.True(s["hand:k4"].NoData);
        Assert.Equal(0.25, s["hand:T"].Progress, Tolerance);
        Assert.Equal(0, s["hand:U"].Progress, Tolerance);
        Assert.Equal(0.125, s["hand:C1"].Progress, Tolerance);
        Assert.Equal(1.0 / 6, s["hand:C2"].Progress, Tolerance);
        Assert.Null(s["hand:C1"].Confidence);

        var t0 = cycle.Start.AddDays(1);
        await peer.CheckInAsync("hand:k2", 30, 0.8, t0.AddHours(2), ct);   // (30 − 50) / (10 − 50) = 0.5
        await peer.CheckInAsync("hand:k2", 10, 0.4, t0.AddHours(1), ct);   // back-dated: neither value nor confidence
        await peer.CheckInAsync("hand:k1", 150, null, t0.AddHours(1), ct); // 1.5, clamped to 1 ...
        await peer.CheckInAsync("hand:k1", 20, null, t0.AddHours(3), ct);  // ... replaced by a later one ...
        await peer.CheckInAsync("hand:k1", 40, null, t0.AddHours(3), ct);  // ... and a tie goes to the later arrival: 0.4
        await peer.CheckInAsync("hand:k4", 12, null, t0, ct);              // 12 > 10: 0
        await peer.CheckInAsync("hand:k3", 1, 0.6, t0, ct);                // done: 1
        await peer.CheckInAsync("hand:k6", 10, 0.1, t0, ct);               // 1, but weight 0 in T
        await peer.CheckInAsync("hand:k7", 10, 0.1, t0, ct);               // 1, but C2 counts objectives only
        await peer.MeasureAsync("kpi0", 55, t0.AddHours(1), ct);           // k5: (55 − 40) / 20 = 0.75
        await peer.MeasureAsync("kpi0", 60, t0, ct);                       // back-dated: ignored

        // T  = (2×0.5 + 1×0 + 1×0.75) / 4 = 0.4375, confidence 0.8 (k2 only);  U = 1, confidence 0.6
        // C1 = (0.4375 + 0.4) / 2 = 0.41875, confidence 0.8 (T only)
        // C2 = (2×0.4375 + 1×1) / 3 = 0.625, confidence (2×0.8 + 0.6) / 3 = 2.2 / 3
        s = await peer.ReadScoresAsync(ct);
        Assert.Equal(0.4, s["hand:k1"].Progress, Tolerance);
        Assert.Equal(0.5, s["hand:k2"].Progress, Tolerance);
        Assert.Equal(0.8, s["hand:k2"].Confidence!.Value, Tolerance);
        Assert.Equal(1, s["hand:k3"].Progress, Tolerance);
        Assert.Equal(0, s["hand:k4"].Progress, Tolerance);
        Assert.False(s["hand:k4"].NoData);
        Assert.Equal(0.75, s["hand:k5"].Progress, Tolerance);
        Assert.Null(s["hand:k5"].Confidence);
        Assert.Equal(1, s["hand:k6"].Progress, Tolerance);
        Assert.Equal(0.4375, s["hand:T"].Progress, Tolerance);
        Assert.Equal(0.8, s["hand:T"].Confidence!.Value, Tolerance);
        Assert.Equal(1, s["hand:U"].Progress, Tolerance);
        Assert.Equal(0.41875, s["hand:C1"].Progress, Tolerance);
        Assert.Equal(0.8, s["hand:C1"].Confidence!.Value, Tolerance);
        Assert.Equal(0.625, s["hand:C2"].Progress, Tolerance);
        Assert.Equal(2.2 / 3, s["hand:C2"].Confidence!.Value, Tolerance);
        Assert.Equal(9, await peer.CountCheckInsAsync(ct)); // the measurements are kept apart

        var progress = await peer.ReadProgressAsync(ct);
        Assert.Equal(11, progress.Count);
        Assert.Equal(0.625, progress["hand:C2"], Tolerance);

        // A KPI-linked key result takes no check-ins; unknown ids are refused. Nothing changes.
        await Assert.ThrowsAsync<PostgresException>(() => peer.CheckInAsync("hand:k5", 60, null, t0, ct));
        await Assert.ThrowsAsync<PostgresException>(() => peer.CheckInAsync("hand:nope", 1, null, t0, ct));
        await Assert.ThrowsAsync<PostgresException>(() => peer.MeasureAsync("nope", 1, t0, ct));
        Assert.Equal(9, await peer.CountCheckInsAsync(ct));
        Assert.Equal(0.625, (await peer.ReadProgressAsync(ct))["hand:C2"], Tolerance);
    }

    private sealed record Op(string? KeyResultId, string? KpiId, double Value, double? Confidence, DateTimeOffset At);

    /// <summary>
    /// Check-ins on random key results that take them (a pool small enough that most get several, some without a
    /// confidence) and measurements of random KPIs, all at distinct times shuffled against the arrival order, from
    /// 16 parallel callers; then every node's score must be the reference scorer's from the final inputs.
    /// </summary>
    private static async Task<Dictionary<string, PeerScore>> RunConcurrentlyAsync(
        SqlPeer peer, SyntheticOrg org, Random rng, int checkIns, int measurements, CancellationToken ct)
    {
        var pool = org.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked).OrderBy(_ => rng.Next()).Take(checkIns / 3).ToList();
        var ops = new List<Op>();
        for (int i = 0; i < checkIns; i++)
        {
            var kr = pool[rng.Next(pool.Count)];
            double? confidence = rng.NextDouble() < 0.5 ? null : Math.Round(rng.NextDouble(), 3);
            ops.Add(new Op(kr.Id, null, ValueFor(kr, rng), confidence, default));
        }
        for (int i = 0; i < measurements; i++)
            ops.Add(new Op(null, org.Kpis[rng.Next(org.Kpis.Length)].Id, Math.Round(30 + rng.NextDouble() * 40, 2), null, default));
        var times = Enumerable.Range(0, ops.Count).Select(i => org.Cycle.Start.AddMinutes(10 + i * 7)).OrderBy(_ => rng.Next()).ToList();
        ops = ops.Select((op, i) => op with { At = times[i] }).OrderBy(_ => rng.Next()).ToList();

        await Parallel.ForEachAsync(ops, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (op, token) =>
        {
            if (op.KeyResultId is { } kr) await peer.CheckInAsync(kr, op.Value, op.Confidence, op.At, token);
            else await peer.MeasureAsync(op.KpiId!, op.Value, op.At, token);
        });

        var history = ops.Where(o => o.KeyResultId is not null).ToLookup(o => o.KeyResultId!,
            o => new CheckIn(Guid.NewGuid().ToString(), o.Value, o.Confidence, "", "", o.At));
        var latestMeasurement = ops.Where(o => o.KpiId is not null).GroupBy(o => o.KpiId!)
            .ToDictionary(g => g.Key, g => g.MaxBy(o => o.At)!.Value);
        var expected = Reference(org, kr => kr.Kind == KeyResultKind.KpiLinked
            ? KeyResultInput.FromKpi(kr, latestMeasurement.TryGetValue(kr.KpiId!, out var v) ? v : null, null)
            : KeyResultInput.FromCheckIns(kr, history[kr.Id]));

        var actual = await peer.ReadScoresAsync(ct);
        AssertSameScores(expected, actual);
        Assert.Equal(checkIns, await peer.CountCheckInsAsync(ct));
        return actual;
    }

    private static SyntheticOrg IrregularOrg(Random rng, int objectives, int keyResults, int kpis)
    {
        var cycle = new CycleDefinition("irr", "irregular", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero));
        var company = Owner.Company("co");
        double Weight() => rng.Next(5) switch { 0 => 0, 1 => 0.5, 2 => 2, _ => 1 };
        var kpiDefs = Enumerable.Range(0, kpis)
            .Select(k => new KpiDefinition($"kpi{k}", $"KPI {k}", "pts", Direction.HigherIsBetter, new KpiThresholds(60, 45), 50, company)).ToList();
        var os = new List<ObjectiveDefinition>();
        var edges = new List<Edge>();
        for (int i = 0; i < objectives; i++)
        {
            var o = new ObjectiveDefinition($"irr:o{i}", "irr", $"Objective {i}", "", company, (RollUpMode)rng.Next(3));
            if (i >= 3)
            {
                var first = os[rng.Next(i)].Id;
                edges.Add(new Edge(first, o.Id, Weight()));
                var second = os[rng.Next(i)].Id;
                if (rng.NextDouble() < 0.3 && second != first) edges.Add(new Edge(second, o.Id, Weight()));
            }
            os.Add(o);
        }
        var krs = new List<KeyResultDefinition>();
        for (int i = 0; i < keyResults; i++)
        {
            var kind = (KeyResultKind)rng.Next(6);
            var (start, target) = kind switch
            {
                KeyResultKind.Increase or KeyResultKind.KpiLinked => (0.0, 100.0),
                KeyResultKind.Decrease => (100.0, 20.0),
                KeyResultKind.Milestone => (0.0, 1.0),
                _ => (40.0, 50.0),
            };
            var kr = new KeyResultDefinition($"irr:k{i}", "irr", $"KR {i}", company, kind, start, target, "pts",
                kind == KeyResultKind.KpiLinked ? kpiDefs[rng.Next(kpis)].Id : null);
            krs.Add(kr);
            edges.Add(new Edge(os[rng.Next(objectives)].Id, kr.Id, Weight()));
        }
        return new SyntheticOrg("co", cycle, [], [], [.. kpiDefs], [.. os], [.. krs], [.. edges]);
    }

    private static double ValueFor(KeyResultDefinition kr, Random rng)
    {
        if (kr.Kind == KeyResultKind.Milestone) return rng.Next(2);
        var (lo, hi) = (Math.Min(kr.Start, kr.Target), Math.Max(kr.Start, kr.Target));
        var margin = (hi - lo) * 0.25 + 1;
        return Math.Round(lo - margin + rng.NextDouble() * (hi - lo + 2 * margin), 3);
    }

    private static Dictionary<string, NodeScore> Reference(SyntheticOrg org, Func<KeyResultDefinition, KeyResultInput> inputOf) =>
        GraphScorer.Score(org.Objectives, org.KeyResults, org.Edges, inputOf, 0.5, ScoringPolicy.Default);

    private static void AssertSameScores(Dictionary<string, NodeScore> expected, Dictionary<string, PeerScore> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        var wrong = expected
            .Where(kv => !actual.TryGetValue(kv.Key, out var a)
                         || Math.Abs(a.Progress - kv.Value.Progress) > Tolerance
                         || a.NoData != kv.Value.NoData
                         || a.Confidence.HasValue != kv.Value.Confidence.HasValue
                         || (a.Confidence is { } c && Math.Abs(c - kv.Value.Confidence!.Value) > Tolerance))
            .Select(kv => $"{kv.Key}: expected {kv.Value.Progress} (confidence {kv.Value.Confidence}, no data {kv.Value.NoData}), " +
                          $"got {(actual.TryGetValue(kv.Key, out var a) ? $"{a.Progress} (confidence {a.Confidence}, no data {a.NoData})" : "nothing")}")
            .Take(10).ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }
}
