using OkrGrid.Domain.Views;
using OkrGrid.Views;

namespace OkrGrid.Tests.Views;

/// <summary>
/// A small hand-made cycle replayed by <see cref="ProgressHistory"/>; every expected number is worked out below.
/// </summary>
/// <remarks>
/// Cycle: 1 Jan 00:00 → 11 Jan 00:00 (ten days, so the elapsed fraction is days / 10); snapshot at 6 Jan 00:00.
/// Default policy: on track within 0.10 of the pace, at risk within 0.25.
///   O (company, KRs + objectives) ← k1 ×1, k2 ×1, P ×2
///   P (team, KRs + objectives)    ← k3 ×1
///   k1 increase 0→100: 2 Jan 12:00 → 20 (conf 0.8); 4 Jan 00:00 → 50 (no conf), then 35 (conf 0.6) at the same time
///      (the later arrival wins: 35, conf 0.6)
///   k2 KPI-linked 200→300 on KPI "mrr": 30 Dec → 220 (before the cycle: the value it starts with), 3 Jan → 250
///   k3 milestone: 5 Jan 06:00 → 1 (conf 0.9)
/// Points of O: the start, a point a day, each fact time, and the snapshot time (fact times on a day boundary count
/// once):
///   at          elapsed  k1    k2   P (=k3)  O = (k1 + k2 + 2P) / 4         conf                     status
///   1 Jan       0        0     0.2  0        0.2 / 4 = 0.05                 none                     on track (gap −0.05)
///   2 Jan       0.1      0     0.2  0        0.05                           none                     on track (gap 0.05)
///   2 Jan 12:00 0.15     0.2   0.2  0        0.4 / 4 = 0.1                  0.8 (k1 only)            on track (gap 0.05)
///   3 Jan       0.2      0.2   0.5  0        0.7 / 4 = 0.175                0.8                      on track (gap 0.025)
///   4 Jan       0.3      0.35  0.5  0        0.85 / 4 = 0.2125              0.6                      on track (gap 0.0875)
///   5 Jan       0.4      0.35  0.5  0        0.2125                         0.6                      at risk (gap 0.1875)
///   5 Jan 06:00 0.425    0.35  0.5  1        2.85 / 4 = 0.7125              (0.6 + 2×0.9) / 3 = 0.8  on track
///   6 Jan       0.5      0.35  0.5  1        0.7125                         0.8                      on track
/// (A key result without data counts as 0 in its objective, as in the engine.)
/// </remarks>
[Trait("Category", "Fast")]
public sealed class ProgressHistoryTests
{
    private const int Precision = 9;
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static DateTimeOffset Day(double days) => Start.AddDays(days);

    private const string O = "c1:o", P = "c1:p", K1 = "c1:k1", K2 = "c1:k2", K3 = "c1:k3";

    private static readonly ObjectiveDefinition[] Objectives =
    [
        new(O, "c1", "Grow", "", Owner.Company("acme"), RollUpMode.KeyResultsAndObjectives),
        new(P, "c1", "Ship", "", new Owner(OwnerKind.Team, "eng"), RollUpMode.KeyResultsAndObjectives),
    ];

    private static readonly KeyResultDefinition[] KeyResults =
    [
        new(K1, "c1", "Signed logos", new Owner(OwnerKind.Person, "ana"), KeyResultKind.Increase, 0, 100, "", null),
        new(K2, "c1", "MRR", new Owner(OwnerKind.Person, "bo"), KeyResultKind.KpiLinked, 200, 300, "k€", "mrr"),
        new(K3, "c1", "Launch", new Owner(OwnerKind.Team, "eng"), KeyResultKind.Milestone, 0, 1, "", null),
    ];

    private static readonly Edge[] Edges = [new(O, K1, 1), new(O, K2, 1), new(O, P, 2), new(P, K3, 1)];

    private static readonly Dictionary<string, ImmutableArray<CheckIn>> CheckIns = new()
    {
        [K1] =
        [
            new("a", 20, 0.8, "first deals", "Ana", Day(1.5)),
            new("b", 50, null, "typo", "Ana", Day(3)),
            new("c", 35, 0.6, "corrected", "Ana", Day(3)),
        ],
        [K3] = [new("d", 1, 0.9, "launched", "Eng", Day(4.25))],
    };

    private static readonly Dictionary<string, ImmutableArray<Measurement>> Measurements = new()
    {
        // Given out of order: the replay sorts by time.
        ["mrr"] = [new("m2", 250, Day(2), "good month", "Finance"), new("m1", 220, Day(-2), "", "Finance")],
    };

    private static CycleSnapshot Snapshot(DateTimeOffset takenAt, DateTimeOffset? closedAt = null) =>
        new(new CycleInfo(new CycleDefinition("c1", "Q1", Start, Day(10)), closedAt is not null, closedAt),
            ScoringPolicy.Default, [.. Objectives], [.. KeyResults], [.. Edges], new Dictionary<string, NodeScore>(), takenAt);

    [Fact]
    public void ObjectiveReplaysItsSubtreeAtEachDayAndEachFact()
    {
        var history = ProgressHistory.ForNode(Snapshot(Day(5)), O, CheckIns, Measurements);

        Assert.Equal((O, NodeKind.Objective, "Grow", Start, Day(10)), (history.NodeId, history.Kind, history.Title, history.CycleStart, history.CycleEnd));
        (double Days, double Progress, double Expected, Status Status, double? Confidence)[] expected =
        [
            (0, 0.05, 0, Status.OnTrack, null),
            (1, 0.05, 0.1, Status.OnTrack, null),
            (1.5, 0.1, 0.15, Status.OnTrack, 0.8),
            (2, 0.175, 0.2, Status.OnTrack, 0.8),
            (3, 0.2125, 0.3, Status.OnTrack, 0.6),
            (4, 0.2125, 0.4, Status.AtRisk, 0.6),
            (4.25, 0.7125, 0.425, Status.OnTrack, 0.8),
            (5, 0.7125, 0.5, Status.OnTrack, 0.8),
        ];
        Assert.Equal(expected.Length, history.Points.Length);
        foreach (var (e, p) in expected.Zip(history.Points))
        {
            Assert.Equal(Day(e.Days), p.At);
            Assert.Equal(e.Progress, p.Progress, Precision);
            Assert.Equal(e.Expected, p.Expected, Precision);
            Assert.Equal(e.Status, p.Status);
            Assert.Equal(e.Confidence, p.Confidence is { } c ? Math.Round(c, Precision) : null);
            Assert.Null(p.Value);
        }
    }

    [Fact]
    public void ObjectiveLogListsCheckInsAndMeasurementsSinceTheStartNewestFirst()
    {
        var history = ProgressHistory.ForNode(Snapshot(Day(5)), O, CheckIns, Measurements);

        Assert.Equal(
        [
            new CheckInEntry(K3, "Launch", Day(4.25), 1, 0.9, "launched", "Eng"),
            new CheckInEntry(K1, "Signed logos", Day(3), 35, 0.6, "corrected", "Ana"),
            new CheckInEntry(K1, "Signed logos", Day(3), 50, null, "typo", "Ana"),
            new CheckInEntry(K2, "MRR", Day(2), 250, null, "good month", "Finance"),
            new CheckInEntry(K1, "Signed logos", Day(1.5), 20, 0.8, "first deals", "Ana"),
        ], history.CheckIns);
    }

    [Fact]
    public void KeyResultSeriesFollowsItsOwnCheckIns()
    {
        var history = ProgressHistory.ForNode(Snapshot(Day(5)), K1, CheckIns, Measurements);

        // k1 alone: no data until 2 Jan 12:00; then 0.2 against 0.15; 0.35 from 4 Jan (gap 0.05 on 5 Jan, 0.15 at the
        // snapshot: at risk).
        (double Days, double Progress, Status Status, double? Value, double? Confidence)[] expected =
        [
            (0, 0, Status.NoData, null, null),
            (1, 0, Status.NoData, null, null),
            (1.5, 0.2, Status.OnTrack, 20, 0.8),
            (2, 0.2, Status.OnTrack, 20, 0.8),
            (3, 0.35, Status.OnTrack, 35, 0.6),
            (4, 0.35, Status.OnTrack, 35, 0.6),
            (5, 0.35, Status.AtRisk, 35, 0.6),
        ];
        Assert.Equal(NodeKind.KeyResult, history.Kind);
        Assert.Equal(expected, history.Points.Select(p => (Math.Round((p.At - Start).TotalDays, 6), Math.Round(p.Progress, Precision), p.Status, p.Value, p.Confidence)));
        Assert.Equal([35.0, 50, 20], history.CheckIns.Select(c => c.Value));
    }

    [Fact]
    public void KpiLinkedKeyResultTakesTheLatestMeasurementIncludingOneFromBeforeTheCycle()
    {
        var history = ProgressHistory.ForNode(Snapshot(Day(2.5)), K2, CheckIns, Measurements);

        // 220 from 30 Dec → 0.2 (expected 0 then 0.1: on track); 250 on 3 Jan → 0.5 (expected 0.2, 0.25).
        Assert.Equal([0, 1, 2, 2.5], history.Points.Select(p => (p.At - Start).TotalDays));
        Assert.Equal([220.0, 220, 250, 250], history.Points.Select(p => p.Value!.Value));
        Assert.Equal([0.2, 0.2, 0.5, 0.5], history.Points.Select(p => Math.Round(p.Progress, Precision)));
        Assert.All(history.Points, p => Assert.Null(p.Confidence));
        Assert.Equal([250.0], history.CheckIns.Select(c => c.Value)); // the measurement of 30 Dec predates the cycle
    }

    [Fact]
    public void LastPointIsTheScoreTheRulesGiveForTheLatestFacts()
    {
        var snapshot = Snapshot(Day(7.3));
        var elapsed = Rules.ExpectedProgress(Start, Day(10), snapshot.TakenAt);
        var reference = GraphScorer.Score(Objectives, KeyResults, Edges, kr => kr.Kind == KeyResultKind.KpiLinked
            ? KeyResultInput.FromKpi(kr, 250, null)
            : KeyResultInput.FromCheckIns(kr, CheckIns.GetValueOrDefault(kr.Id, [])), elapsed, ScoringPolicy.Default);

        foreach (var id in new[] { O, P, K1, K2, K3 })
        {
            var last = ProgressHistory.ForNode(snapshot, id, CheckIns, Measurements).Points[^1];
            Assert.Equal(snapshot.TakenAt, last.At);
            Assert.Equal(reference[id].Progress, last.Progress, Precision);
            Assert.Equal(reference[id].Status, last.Status);
            Assert.Equal(reference[id].Confidence, last.Confidence);
        }
    }

    [Fact]
    public void ClosedCycleStopsAtItsClosing()
    {
        // Closed on 4 Jan 12:00; a fact dated after that is not part of the cycle's history.
        var history = ProgressHistory.ForNode(Snapshot(Day(8), closedAt: Day(3.5)), O, CheckIns, Measurements);

        Assert.Equal(Day(3.5), history.Points[^1].At);
        Assert.Equal(0.2125, history.Points[^1].Progress, Precision);
        Assert.DoesNotContain(history.CheckIns, c => c.KeyResultId == K3);
    }

    [Fact]
    public void CycleThatHasNotStartedHasNoPoints()
    {
        var history = ProgressHistory.ForNode(Snapshot(Day(-3)), O, CheckIns, Measurements);
        Assert.Empty(history.Points);
    }

    [Fact]
    public void UnknownNodeIsNotFound()
    {
        var e = Assert.Throws<OkrRejectedException>(() => ProgressHistory.ForNode(Snapshot(Day(5)), "c1:nope", CheckIns, Measurements));
        Assert.Equal((RejectionKind.NotFound, "nodeId"), (e.Kind, e.Field));
    }

    [Fact]
    public void KeyResultsUnderAnObjectiveIncludeThoseOfChildObjectives()
    {
        Assert.Equal([K1, K2, K3], ProgressHistory.KeyResultsUnder(Snapshot(Day(5)), O).Select(k => k.Id));
        Assert.Equal([K3], ProgressHistory.KeyResultsUnder(Snapshot(Day(5)), P).Select(k => k.Id));
        Assert.Equal([K2], ProgressHistory.KeyResultsUnder(Snapshot(Day(5)), K2).Select(k => k.Id));
    }

    [Fact]
    public void KpiPointsAreItsMeasurementsWithHealthAsStatus()
    {
        // Higher is better: green from 100, yellow from 80.
        var kpi = new KpiDefinition("nps", "NPS", "", Direction.HigherIsBetter, new KpiThresholds(100, 80), 90, Owner.Company("acme"));
        Measurement[] measurements =
        [
            new("x", 120, Day(3), "great", "Ops"),
            new("w", 70, Day(1)),
            new("y", 85, Day(3), "recount", "Ops"), // same time, later arrival: it wins
        ];

        var history = ProgressHistory.ForKpi(kpi, measurements, new CycleDefinition("c1", "Q1", Start, Day(10)));

        Assert.Equal((NodeKind.Kpi, "NPS", Start, Day(10)), (history.Kind, history.Title, history.CycleStart, history.CycleEnd));
        Assert.Equal([(Day(1), 70.0, Status.OffTrack), (Day(3), 85, Status.AtRisk)],
            history.Points.Select(p => (p.At, p.Value!.Value, p.Status)));
        Assert.Equal([("nps", 85.0, "recount"), ("nps", 120, "great"), ("nps", 70, "")], history.CheckIns.Select(c => (c.KeyResultId, c.Value, c.Note)));
    }
}
