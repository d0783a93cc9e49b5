namespace OkrGrid.Tests.Scoring;

/// <summary>
/// A hand-made cycle graph scored by <see cref="GraphScorer"/>; every expected number is worked out below.
/// </summary>
/// <remarks>
/// Edges (parent ← child, weight):
///   C1 (company, KRs + objectives) ← T1 ×1, T2 ×3, k8 ×1
///   C2 (company, objectives only)  ← T2 ×2, T3 ×1, k9 ×5 (a KR: not counted)
///   T1 (team, KRs only)            ← k1 ×2, k2 ×1, P2 ×10 (an objective: not counted)
///   T2 (team, KRs + objectives)    ← k3 ×1, k4 ×1, k5 ×2, k6 ×1, P1 ×5
///   T3 (team, KRs only)            ← k10 ×1, k11 ×1
///   P1 (person, KRs only)          ← k7 ×1
///   P2 (person, KRs only)          ← k12 ×1
/// T2 has two parents (C1 and C2).
/// Elapsed fraction 0.6, default policy (on track within 0.10, at risk within 0.25).
///
/// Key results (progress = (current − start) / (target − start), clamped; stay kinds and milestones 0/1):
///   k1  increase 0→100, check-ins 1h: 90 (conf 0.5), 2h: 20 (no conf)  → current 20, 0.2, conf 0.5; gap 0.4 → off track
///   k2  decrease 50→10, 30                                             → −20/−40 = 0.5; gap 0.1 → on track
///   k12 milestone, 1                                                   → 1 → on track
///   k3  stay ≥ 95, 97 (conf 0.9)                                       → 1, expected 1 → on track
///   k4  milestone, 0 (conf 0.3)                                        → 0; gap 0.6 → off track
///   k5  KPI-linked 200→300, 350                                        → raw 150/100 = 1.5, clamped 1 → on track
///   k6  increase 0→10, no check-in                                     → 0, no data
///   k7  decrease 20→10, 12 (conf 0.6)                                  → −8/−10 = 0.8 → on track
///   k8  increase 0→4, 2 (conf 0.8)                                     → 0.5; gap 0.1 → on track
///   k9  increase 0→10, 10 (conf 0.1)                                   → 1 → on track
///   k10 stay ≤ 200, 250 (conf 0.3)                                     → 0, expected 1 → off track
///   k11 increase 0→100, 80                                             → 0.8 → on track
///
/// Objectives (weighted mean of counted children; confidence over the counted children that have one):
///   P1 = k7                          = 0.8, conf 0.6                            → on track
///   P2 = k12                         = 1,   conf none                           → on track
///   T1 = (2×0.2 + 1×0.5) / 3         = 0.9 / 3 = 0.3 (P2 not counted), conf 0.5 (k1 only) → gap 0.3 → off track
///   T2 = (1×1 + 1×0 + 2×1 + 1×0 + 5×0.8) / 10 = 7 / 10 = 0.7  (k6, without data, counts as 0)
///        conf (1×0.9 + 1×0.3 + 5×0.6) / (1 + 1 + 5) = 4.2 / 7 = 0.6           → on track
///   T3 = (1×0 + 1×0.8) / 2           = 0.4, conf 0.3 (k10 only)                 → gap 0.2 → at risk
///   C1 = (1×0.3 + 3×0.7 + 1×0.5) / 5 = 2.9 / 5 = 0.58
///        conf (1×0.5 + 3×0.6 + 1×0.8) / 5 = 3.1 / 5 = 0.62                      → gap 0.02 → on track
///   C2 = (2×0.7 + 1×0.4) / 3         = 1.8 / 3 = 0.6 (k9 not counted)
///        conf (2×0.6 + 1×0.3) / 3    = 1.5 / 3 = 0.5                            → on track
/// </remarks>
[Trait("Category", "Fast")]
public class GraphScorerTests
{
    private const int Precision = 9;
    private const double Elapsed = 0.6;
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static ObjectiveDefinition O(string id, OwnerKind owner, RollUpMode mode) =>
        new(id, "c1", id, "", new Owner(owner, "x"), mode);

    private static KeyResultDefinition K(string id, KeyResultKind kind, double start, double target, string? kpi = null) =>
        new(id, "c1", id, new Owner(OwnerKind.Team, "x"), kind, start, target, "", kpi);

    private static readonly ObjectiveDefinition[] Objectives =
    [
        O("C1", OwnerKind.Company, RollUpMode.KeyResultsAndObjectives),
        O("C2", OwnerKind.Company, RollUpMode.ObjectivesOnly),
        O("T1", OwnerKind.Team, RollUpMode.KeyResultsOnly),
        O("T2", OwnerKind.Team, RollUpMode.KeyResultsAndObjectives),
        O("T3", OwnerKind.Team, RollUpMode.KeyResultsOnly),
        O("P1", OwnerKind.Person, RollUpMode.KeyResultsOnly),
        O("P2", OwnerKind.Person, RollUpMode.KeyResultsOnly),
    ];

    private static readonly KeyResultDefinition[] KeyResults =
    [
        K("k1", KeyResultKind.Increase, 0, 100),
        K("k2", KeyResultKind.Decrease, 50, 10),
        K("k12", KeyResultKind.Milestone, 0, 1),
        K("k3", KeyResultKind.StayAtOrAbove, 0, 95),
        K("k4", KeyResultKind.Milestone, 0, 1),
        K("k5", KeyResultKind.KpiLinked, 200, 300, "mrr"),
        K("k6", KeyResultKind.Increase, 0, 10),
        K("k7", KeyResultKind.Decrease, 20, 10),
        K("k8", KeyResultKind.Increase, 0, 4),
        K("k9", KeyResultKind.Increase, 0, 10),
        K("k10", KeyResultKind.StayAtOrBelow, 0, 200),
        K("k11", KeyResultKind.Increase, 0, 100),
    ];

    private static readonly Edge[] Edges =
    [
        new("C1", "T1", 1), new("C1", "T2", 3), new("C1", "k8", 1),
        new("C2", "T2", 2), new("C2", "T3", 1), new("C2", "k9", 5),
        new("T1", "k1", 2), new("T1", "k2", 1), new("T1", "P2", 10),
        new("T2", "k3", 1), new("T2", "k4", 1), new("T2", "k5", 2), new("T2", "k6", 1), new("T2", "P1", 5),
        new("T3", "k10", 1), new("T3", "k11", 1),
        new("P1", "k7", 1),
        new("P2", "k12", 1),
    ];

    private static CheckIn Ci(string id, int hour, double value, double? confidence = null) =>
        new(id, value, confidence, "", "ann", T0.AddHours(hour));

    private static readonly Dictionary<string, CheckIn[]> CheckIns = new()
    {
        ["k1"] = [Ci("k1-b", 2, 20), Ci("k1-a", 1, 90, 0.5)],
        ["k2"] = [Ci("k2", 1, 30)],
        ["k12"] = [Ci("k12", 1, 1)],
        ["k3"] = [Ci("k3", 1, 97, 0.9)],
        ["k4"] = [Ci("k4", 1, 0, 0.3)],
        ["k5"] = [Ci("k5", 1, 350)],
        // k6: no check-in
        ["k7"] = [Ci("k7", 1, 12, 0.6)],
        ["k8"] = [Ci("k8", 1, 2, 0.8)],
        ["k9"] = [Ci("k9", 1, 10, 0.1)],
        ["k10"] = [Ci("k10", 1, 250, 0.3)],
        ["k11"] = [Ci("k11", 1, 80)],
    };

    private static KeyResultInput InputOf(KeyResultDefinition kr) =>
        KeyResultInput.FromCheckIns(kr, CheckIns.GetValueOrDefault(kr.Id) ?? []);

    private static Dictionary<string, NodeScore> ScoreGraph() =>
        GraphScorer.Score(Objectives, KeyResults, Edges, InputOf, Elapsed, ScoringPolicy.Default);

    [Theory]
    // node, kind, progress, raw, status, confidence, no data
    [InlineData("k1", NodeKind.KeyResult, 0.2, 0.2, Status.OffTrack, 0.5, false)]
    [InlineData("k2", NodeKind.KeyResult, 0.5, 0.5, Status.OnTrack, null, false)]
    [InlineData("k12", NodeKind.KeyResult, 1.0, 1.0, Status.OnTrack, null, false)]
    [InlineData("k3", NodeKind.KeyResult, 1.0, 1.0, Status.OnTrack, 0.9, false)]
    [InlineData("k4", NodeKind.KeyResult, 0.0, 0.0, Status.OffTrack, 0.3, false)]
    [InlineData("k5", NodeKind.KeyResult, 1.0, 1.5, Status.OnTrack, null, false)]
    [InlineData("k6", NodeKind.KeyResult, 0.0, 0.0, Status.NoData, null, true)]
    [InlineData("k7", NodeKind.KeyResult, 0.8, 0.8, Status.OnTrack, 0.6, false)]
    [InlineData("k8", NodeKind.KeyResult, 0.5, 0.5, Status.OnTrack, 0.8, false)]
    [InlineData("k9", NodeKind.KeyResult, 1.0, 1.0, Status.OnTrack, 0.1, false)]
    [InlineData("k10", NodeKind.KeyResult, 0.0, 0.0, Status.OffTrack, 0.3, false)]
    [InlineData("k11", NodeKind.KeyResult, 0.8, 0.8, Status.OnTrack, null, false)]
    [InlineData("P1", NodeKind.Objective, 0.8, 0.8, Status.OnTrack, 0.6, false)]
    [InlineData("P2", NodeKind.Objective, 1.0, 1.0, Status.OnTrack, null, false)]
    [InlineData("T1", NodeKind.Objective, 0.3, 0.3, Status.OffTrack, 0.5, false)]
    [InlineData("T2", NodeKind.Objective, 0.7, 0.7, Status.OnTrack, 0.6, false)]
    [InlineData("T3", NodeKind.Objective, 0.4, 0.4, Status.AtRisk, 0.3, false)]
    [InlineData("C1", NodeKind.Objective, 0.58, 0.58, Status.OnTrack, 0.62, false)]
    [InlineData("C2", NodeKind.Objective, 0.6, 0.6, Status.OnTrack, 0.5, false)]
    public void EveryNodeScoresAsWorkedOutByHand(
        string id, NodeKind kind, double progress, double raw, Status status, double? confidence, bool noData)
    {
        var s = ScoreGraph()[id];
        Assert.Equal(id, s.NodeId);
        Assert.Equal(kind, s.Kind);
        Assert.Equal(progress, s.Progress, Precision);
        Assert.Equal(raw, s.RawProgress, Precision);
        Assert.Equal(status, s.Status);
        Assert.Equal(noData, s.NoData);
        if (confidence is { } c) RulesTests.AssertClose(c, s.Confidence);
        else Assert.Null(s.Confidence);
        Assert.Null(s.Grade);
    }

    [Fact]
    public void TheResultHoldsEveryNodeOnce()
    {
        var scores = ScoreGraph();
        Assert.Equal(
            Objectives.Select(o => o.Id).Concat(KeyResults.Select(k => k.Id)).Order(),
            scores.Keys.Order());
    }

    [Fact]
    public void TheOrderOfDefinitionsAndEdgesDoesNotMatter()
    {
        var reversed = GraphScorer.Score(
            Enumerable.Reverse(Objectives), Enumerable.Reverse(KeyResults), Enumerable.Reverse(Edges), InputOf, Elapsed, ScoringPolicy.Default);
        var scores = ScoreGraph();
        foreach (var (id, s) in scores)
        {
            Assert.Equal(s.Status, reversed[id].Status);
            Assert.Equal(s.Progress, reversed[id].Progress, Precision);
        }
    }

    [Fact]
    public void ScoreObjectivesRollsGivenKeyResultScoresUpTheSameWay()
    {
        var all = ScoreGraph();
        var krScores = KeyResults.ToDictionary(k => k.Id, k => all[k.Id]);
        var rolled = GraphScorer.ScoreObjectives(Objectives, Edges, krScores, Elapsed, ScoringPolicy.Default);
        foreach (var o in Objectives) Assert.Equal(all[o.Id], rolled[o.Id]);
    }

    [Fact]
    public void AWhatIfOnOneKeyResultMovesEveryAncestor()
    {
        // k7 reaches its target: P1 = 1, T2 = (1 + 0 + 2 + 0 + 5×1) / 10 = 0.8,
        // C1 = (0.3 + 3×0.8 + 0.5) / 5 = 3.2 / 5 = 0.64, C2 = (2×0.8 + 0.4) / 3 = 2 / 3; T1 and T3 unchanged.
        var all = ScoreGraph();
        var krScores = KeyResults.ToDictionary(k => k.Id, k => all[k.Id]);
        krScores["k7"] = Rules.ScoreKeyResult(KeyResults.Single(k => k.Id == "k7"), 10, true, 0.6, Elapsed, ScoringPolicy.Default);
        var rolled = GraphScorer.ScoreObjectives(Objectives, Edges, krScores, Elapsed, ScoringPolicy.Default);
        Assert.Equal(1.0, rolled["P1"].Progress, Precision);
        Assert.Equal(0.8, rolled["T2"].Progress, Precision);
        Assert.Equal(0.64, rolled["C1"].Progress, Precision);
        Assert.Equal(2.0 / 3.0, rolled["C2"].Progress, Precision);
        Assert.Equal(0.3, rolled["T1"].Progress, Precision);
        Assert.Equal(0.4, rolled["T3"].Progress, Precision);
    }

    [Fact]
    public void AnObjectiveWithoutChildrenHasNoDataAndCountsAs0InItsParent()
    {
        // A ← B (weight 1, no children: 0, no data) and A ← k (weight 1, 0.8): A = (0 + 0.8) / 2 = 0.4.
        var objectives = new[] { O("A", OwnerKind.Company, RollUpMode.KeyResultsAndObjectives), O("B", OwnerKind.Team, RollUpMode.KeyResultsAndObjectives) };
        var krs = new[] { K("k", KeyResultKind.Increase, 0, 10) };
        var edges = new[] { new Edge("A", "B", 1), new Edge("A", "k", 1) };
        var scores = GraphScorer.Score(objectives, krs, edges, _ => new KeyResultInput(8, true, null), 0.5, ScoringPolicy.Default);
        Assert.True(scores["B"].NoData);
        Assert.Equal(Status.NoData, scores["B"].Status);
        Assert.Equal(0.4, scores["A"].Progress, Precision);
        Assert.Equal(Status.OnTrack, scores["A"].Status); // gap 0.1
    }

    [Fact]
    public void AnEdgeToAnUnknownNodeIsIgnored()
    {
        var scores = GraphScorer.Score(
            [O("A", OwnerKind.Company, RollUpMode.KeyResultsAndObjectives)], [], [new Edge("A", "ghost", 1)],
            kr => KeyResultInput.Initial(kr), 0.5, ScoringPolicy.Default);
        Assert.True(scores["A"].NoData);
        Assert.DoesNotContain("ghost", scores.Keys);
    }

    [Fact]
    public void AnAlignmentLoopThrows()
    {
        var objectives = new[]
        {
            O("A", OwnerKind.Company, RollUpMode.KeyResultsAndObjectives),
            O("B", OwnerKind.Team, RollUpMode.KeyResultsAndObjectives),
            O("C", OwnerKind.Person, RollUpMode.KeyResultsAndObjectives),
        };
        // A ← B ← C ← A
        var edges = new[] { new Edge("A", "B", 1), new Edge("B", "C", 1), new Edge("C", "A", 1) };
        var ex = Assert.Throws<InvalidOperationException>(() =>
            GraphScorer.Score(objectives, [], edges, KeyResultInput.Initial, 0.5, ScoringPolicy.Default));
        Assert.Contains("cycle", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ALoopBelowAnAcyclicRootThrowsToo()
    {
        // R ← A, A ← B, B ← A: the root is fine, its subtree loops.
        var objectives = new[]
        {
            O("R", OwnerKind.Company, RollUpMode.KeyResultsAndObjectives),
            O("A", OwnerKind.Team, RollUpMode.KeyResultsAndObjectives),
            O("B", OwnerKind.Team, RollUpMode.KeyResultsAndObjectives),
        };
        var edges = new[] { new Edge("R", "A", 1), new Edge("A", "B", 1), new Edge("B", "A", 1) };
        Assert.Throws<InvalidOperationException>(() =>
            GraphScorer.Score(objectives, [], edges, KeyResultInput.Initial, 0.5, ScoringPolicy.Default));
    }

    [Fact]
    public void ASelfAlignmentThrows()
    {
        Assert.Throws<InvalidOperationException>(() => GraphScorer.Score(
            [O("A", OwnerKind.Company, RollUpMode.KeyResultsAndObjectives)], [], [new Edge("A", "A", 1)],
            KeyResultInput.Initial, 0.5, ScoringPolicy.Default));
    }
}
