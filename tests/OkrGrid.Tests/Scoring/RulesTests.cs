using System.Globalization;

namespace OkrGrid.Tests.Scoring;

/// <summary>
/// Table tests of <see cref="Rules"/>. Every expected value is worked out by hand in the row (or the comment
/// beside it), never with the formula under test.
/// </summary>
[Trait("Category", "Fast")]
public class RulesTests
{
    private const int Precision = 9;
    private static readonly ScoringPolicy Default = ScoringPolicy.Default;

    private static KeyResultDefinition Kr(KeyResultKind kind, double start, double target, string id = "c1:kr") =>
        new(id, "c1", "kr", Owner.Company("acme"), kind, start, target, "",
            kind == KeyResultKind.KpiLinked ? "kpi-1" : null);

    private static ObjectiveDefinition Objective(RollUpMode mode, string id = "c1:o") =>
        new(id, "c1", "objective", "", Owner.Company("acme"), mode);

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- RawProgress / Clamp

    [Theory]
    // Increase: (current − start) / (target − start)
    [InlineData(KeyResultKind.Increase, 0, 100, 50, 0.5, 0.5)]          // 50/100
    [InlineData(KeyResultKind.Increase, 10, 20, 15, 0.5, 0.5)]          // 5/10
    [InlineData(KeyResultKind.Increase, 10, 20, 10, 0.0, 0.0)]          // at start
    [InlineData(KeyResultKind.Increase, 10, 20, 20, 1.0, 1.0)]          // at target
    [InlineData(KeyResultKind.Increase, 0, 100, 125, 1.25, 1.0)]        // overshoot: 125/100, clamped to 1
    [InlineData(KeyResultKind.Increase, 10, 20, 5, -0.5, 0.0)]          // below start: −5/10, clamped to 0
    [InlineData(KeyResultKind.Increase, -20, 20, 0, 0.5, 0.5)]          // 20/40, negative start
    // Decrease: same formula, both differences negative
    [InlineData(KeyResultKind.Decrease, 100, 40, 70, 0.5, 0.5)]         // −30/−60
    [InlineData(KeyResultKind.Decrease, 100, 40, 100, 0.0, 0.0)]        // at start
    [InlineData(KeyResultKind.Decrease, 100, 40, 40, 1.0, 1.0)]         // at target
    [InlineData(KeyResultKind.Decrease, 100, 40, 25, 1.25, 1.0)]        // overshoot: −75/−60
    [InlineData(KeyResultKind.Decrease, 100, 40, 112, -0.2, 0.0)]       // worse than start: 12/−60
    // KPI-linked, increasing direction
    [InlineData(KeyResultKind.KpiLinked, 200, 300, 275, 0.75, 0.75)]    // 75/100
    [InlineData(KeyResultKind.KpiLinked, 200, 300, 350, 1.5, 1.0)]      // 150/100
    [InlineData(KeyResultKind.KpiLinked, 200, 300, 150, -0.5, 0.0)]     // −50/100
    // KPI-linked, decreasing direction
    [InlineData(KeyResultKind.KpiLinked, 5, 1, 4, 0.25, 0.25)]          // −1/−4
    [InlineData(KeyResultKind.KpiLinked, 5, 1, 0, 1.25, 1.0)]           // −5/−4
    [InlineData(KeyResultKind.KpiLinked, 5, 1, 7, -0.5, 0.0)]           // 2/−4
    // Stay at or above 95: 1 when current ≥ 95
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 95, 95, 1.0, 1.0)]      // exactly at target holds
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 95, 95.5, 1.0, 1.0)]
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 95, 94.9, 0.0, 0.0)]
    // Stay at or below 200: 1 when current ≤ 200
    [InlineData(KeyResultKind.StayAtOrBelow, 0, 200, 200, 1.0, 1.0)]    // exactly at target holds
    [InlineData(KeyResultKind.StayAtOrBelow, 0, 200, 199, 1.0, 1.0)]
    [InlineData(KeyResultKind.StayAtOrBelow, 0, 200, 201, 0.0, 0.0)]
    // Milestone: 0 not done, 1 done
    [InlineData(KeyResultKind.Milestone, 0, 1, 0, 0.0, 0.0)]
    [InlineData(KeyResultKind.Milestone, 0, 1, 1, 1.0, 1.0)]
    [InlineData(KeyResultKind.Milestone, 0, 1, 0.5, 0.0, 0.0)]          // half done is not done
    public void RawProgressAndClampedProgress(
        KeyResultKind kind, double start, double target, double current, double expectedRaw, double expectedClamped)
    {
        var raw = Rules.RawProgress(kind, start, target, current);
        Assert.Equal(expectedRaw, raw, Precision);
        Assert.Equal(expectedClamped, Rules.Clamp(raw), Precision);
    }

    [Theory]
    [InlineData(KeyResultKind.Increase)]
    [InlineData(KeyResultKind.Decrease)]
    [InlineData(KeyResultKind.KpiLinked)]
    public void RawProgressWithStartEqualToTargetIsZeroNotNaN(KeyResultKind kind)
    {
        // Such a definition is rejected by Check.KeyResultShape; the rule still must not divide by zero.
        Assert.Equal(0.0, Rules.RawProgress(kind, 5, 5, 7), Precision);
    }

    [Fact]
    public void RawProgressRejectsAnUnknownKind() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Rules.RawProgress((KeyResultKind)99, 0, 1, 1));

    [Theory]
    [InlineData(-3.0, 0.0)]
    [InlineData(-0.0001, 0.0)]
    [InlineData(0.0, 0.0)]
    [InlineData(0.42, 0.42)]
    [InlineData(1.0, 1.0)]
    [InlineData(1.0001, 1.0)]
    [InlineData(7.5, 1.0)]
    public void ClampKeepsProgressWithin0And1(double raw, double expected) =>
        Assert.Equal(expected, Rules.Clamp(raw), Precision);

    // ---------------------------------------------------------------- ExpectedProgress / ExpectedFor

    // A 10-day cycle: 1 Jan 2026 00:00Z to 11 Jan 2026 00:00Z.
    [Theory]
    [InlineData("2025-12-20T00:00:00Z", 0.0)]          // well before start
    [InlineData("2025-12-31T23:59:59Z", 0.0)]          // a second before start
    [InlineData("2026-01-01T00:00:00Z", 0.0)]          // at start
    [InlineData("2026-01-02T00:00:00Z", 0.1)]          // 1 of 10 days
    [InlineData("2026-01-03T12:00:00Z", 0.25)]         // 2.5 of 10 days
    [InlineData("2026-01-06T00:00:00Z", 0.5)]          // middle
    [InlineData("2026-01-06T02:00:00+02:00", 0.5)]     // the same instant in another offset
    [InlineData("2026-01-10T00:00:00Z", 0.9)]          // 9 of 10 days
    [InlineData("2026-01-11T00:00:00Z", 1.0)]          // at end
    [InlineData("2026-03-01T00:00:00Z", 1.0)]          // after end
    public void ExpectedProgressIsTheElapsedFractionOfTheCycle(string now, double expected) =>
        Assert.Equal(expected, Rules.ExpectedProgress(At("2026-01-01T00:00:00Z"), At("2026-01-11T00:00:00Z"), At(now)), Precision);

    [Theory]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2025-06-01T00:00:00Z")]   // end == start, now before
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")]   // end == start, now at
    [InlineData("2026-01-11T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z")]   // end before start
    public void ExpectedProgressOfAnEmptyOrInvertedCycleIs1(string start, string end, string now) =>
        Assert.Equal(1.0, Rules.ExpectedProgress(At(start), At(end), At(now)), Precision);

    [Theory]
    [InlineData(KeyResultKind.StayAtOrAbove, 0.3, 1.0)]
    [InlineData(KeyResultKind.StayAtOrAbove, 0.0, 1.0)]
    [InlineData(KeyResultKind.StayAtOrBelow, 0.3, 1.0)]
    [InlineData(KeyResultKind.StayAtOrBelow, 0.0, 1.0)]
    [InlineData(KeyResultKind.Increase, 0.3, 0.3)]
    [InlineData(KeyResultKind.Decrease, 0.3, 0.3)]
    [InlineData(KeyResultKind.Milestone, 0.3, 0.3)]
    [InlineData(KeyResultKind.KpiLinked, 0.3, 0.3)]
    [InlineData(KeyResultKind.Increase, 1.0, 1.0)]
    public void ExpectedForMeasuresStayKindsAgainstFullProgress(KeyResultKind kind, double elapsed, double expected) =>
        Assert.Equal(expected, Rules.ExpectedFor(kind, elapsed), Precision);

    // ---------------------------------------------------------------- StatusOf

    [Theory]
    [InlineData(0.5, 0.5, Status.OnTrack)]       // gap 0
    [InlineData(0.9, 0.5, Status.OnTrack)]       // ahead (gap −0.4)
    [InlineData(0.0, 0.0, Status.OnTrack)]       // nothing expected yet
    [InlineData(0.4, 0.5, Status.OnTrack)]       // gap exactly 0.10
    [InlineData(0.6, 0.7, Status.OnTrack)]       // gap exactly 0.10 (0.7 − 0.6 is 0.0999… in binary)
    [InlineData(0.3, 0.4, Status.OnTrack)]       // gap exactly 0.10 (0.4 − 0.3 is 0.1000…03 in binary)
    [InlineData(0.9, 1.0, Status.OnTrack)]       // gap exactly 0.10
    [InlineData(0.3999, 0.5, Status.AtRisk)]     // gap 0.1001, just beyond on track
    [InlineData(0.39, 0.5, Status.AtRisk)]       // gap 0.11
    [InlineData(0.89, 1.0, Status.AtRisk)]       // gap 0.11
    [InlineData(0.25, 0.5, Status.AtRisk)]       // gap exactly 0.25
    [InlineData(0.45, 0.7, Status.AtRisk)]       // gap exactly 0.25 (0.2499… in binary)
    [InlineData(0.75, 1.0, Status.AtRisk)]       // gap exactly 0.25
    [InlineData(0.2499, 0.5, Status.OffTrack)]   // gap 0.2501, just beyond at risk
    [InlineData(0.24, 0.5, Status.OffTrack)]     // gap 0.26
    [InlineData(0.0, 1.0, Status.OffTrack)]      // gap 1
    public void StatusOfWithTheDefaultPolicy(double progress, double expected, Status status) =>
        Assert.Equal(status, Rules.StatusOf(progress, expected, Default));

    // Custom policy: on track within 0.05, at risk within 0.15.
    [Theory]
    [InlineData(0.5, 0.5, Status.OnTrack)]
    [InlineData(0.45, 0.5, Status.OnTrack)]      // gap exactly 0.05
    [InlineData(0.449, 0.5, Status.AtRisk)]      // gap 0.051
    [InlineData(0.4, 0.5, Status.AtRisk)]        // gap 0.10: on track under the default policy
    [InlineData(0.35, 0.5, Status.AtRisk)]       // gap exactly 0.15
    [InlineData(0.349, 0.5, Status.OffTrack)]    // gap 0.151
    [InlineData(0.3, 0.5, Status.OffTrack)]      // gap 0.20: at risk under the default policy
    public void StatusOfWithACustomPolicy(double progress, double expected, Status status) =>
        Assert.Equal(status, Rules.StatusOf(progress, expected, new ScoringPolicy(0.05, 0.15, 0.8)));

    // ---------------------------------------------------------------- Counts / RollUp

    [Theory]
    [InlineData(RollUpMode.KeyResultsOnly, NodeKind.KeyResult, true)]
    [InlineData(RollUpMode.KeyResultsOnly, NodeKind.Objective, false)]
    [InlineData(RollUpMode.KeyResultsOnly, NodeKind.Kpi, false)]
    [InlineData(RollUpMode.ObjectivesOnly, NodeKind.KeyResult, false)]
    [InlineData(RollUpMode.ObjectivesOnly, NodeKind.Objective, true)]
    [InlineData(RollUpMode.ObjectivesOnly, NodeKind.Kpi, false)]
    [InlineData(RollUpMode.KeyResultsAndObjectives, NodeKind.KeyResult, true)]
    [InlineData(RollUpMode.KeyResultsAndObjectives, NodeKind.Objective, true)]
    [InlineData(RollUpMode.KeyResultsAndObjectives, NodeKind.Kpi, false)]
    public void CountsFiltersChildrenByRollUpMode(RollUpMode mode, NodeKind kind, bool counts) =>
        Assert.Equal(counts, Rules.Counts(mode, kind));

    // Children: a KR at 0.2 (conf 0.9), an objective at 0.8 (conf 0.3), a KPI at 0.5 (conf 0.1), weight 1 each.
    [Theory]
    [InlineData(RollUpMode.KeyResultsOnly, 0.2, 0.9)]             // the KR alone
    [InlineData(RollUpMode.ObjectivesOnly, 0.8, 0.3)]             // the objective alone
    [InlineData(RollUpMode.KeyResultsAndObjectives, 0.5, 0.6)]    // (0.2 + 0.8) / 2, (0.9 + 0.3) / 2; never the KPI
    public void RollUpCountsOnlyTheKindsOfItsMode(RollUpMode mode, double progress, double confidence)
    {
        var r = Rules.RollUp(mode,
        [
            new(NodeKind.KeyResult, 1, 0.2, 0.9),
            new(NodeKind.Objective, 1, 0.8, 0.3),
            new(NodeKind.Kpi, 1, 0.5, 0.1),
        ]);
        Assert.False(r.NoData);
        Assert.Equal(progress, r.Progress, Precision);
        AssertClose(confidence, r.Confidence);
    }

    [Fact]
    public void RollUpWeightsChildren()
    {
        // (1 × 0.2 + 3 × 0.6) / (1 + 3) = (0.2 + 1.8) / 4 = 0.5
        var r = Rules.RollUp(RollUpMode.KeyResultsOnly,
            [new(NodeKind.KeyResult, 1, 0.2, null), new(NodeKind.KeyResult, 3, 0.6, null)]);
        Assert.Equal(0.5, r.Progress, Precision);
        Assert.False(r.NoData);
        Assert.Null(r.Confidence);

        // (1 × 1 + 3 × 0) / 4 = 0.25, and the other way round (1 × 0 + 3 × 1) / 4 = 0.75
        Assert.Equal(0.25, Rules.RollUp(RollUpMode.KeyResultsOnly,
            [new(NodeKind.KeyResult, 1, 1.0, null), new(NodeKind.KeyResult, 3, 0.0, null)]).Progress, Precision);
        Assert.Equal(0.75, Rules.RollUp(RollUpMode.KeyResultsOnly,
            [new(NodeKind.KeyResult, 1, 0.0, null), new(NodeKind.KeyResult, 3, 1.0, null)]).Progress, Precision);
    }

    [Fact]
    public void RollUpIgnoresZeroWeights()
    {
        // The weight-0 child at 1.0 does not count: 2 × 0.4 / 2 = 0.4.
        var r = Rules.RollUp(RollUpMode.KeyResultsAndObjectives,
            [new(NodeKind.KeyResult, 0, 1.0, 0.0), new(NodeKind.Objective, 2, 0.4, 0.9)]);
        Assert.False(r.NoData);
        Assert.Equal(0.4, r.Progress, Precision);
        AssertClose(0.9, r.Confidence); // nor does its confidence
    }

    [Fact]
    public void RollUpWithOnlyZeroWeightsHasNoData()
    {
        var r = Rules.RollUp(RollUpMode.KeyResultsAndObjectives,
            [new(NodeKind.KeyResult, 0, 0.5, 0.7), new(NodeKind.Objective, 0, 1.0, 0.7)]);
        Assert.True(r.NoData);
        Assert.Equal(0.0, r.Progress, Precision);
        Assert.Null(r.Confidence);
    }

    [Fact]
    public void RollUpOfNoChildrenIs0WithNoData()
    {
        var r = Rules.RollUp(RollUpMode.KeyResultsAndObjectives, []);
        Assert.True(r.NoData);
        Assert.Equal(0.0, r.Progress, Precision);
        Assert.Null(r.Confidence);
    }

    [Theory]
    [InlineData(RollUpMode.ObjectivesOnly)]
    [InlineData(RollUpMode.KeyResultsOnly)]
    public void RollUpWhenNoChildCountsInTheModeHasNoData(RollUpMode mode)
    {
        var onlyOtherKind = mode == RollUpMode.ObjectivesOnly ? NodeKind.KeyResult : NodeKind.Objective;
        var r = Rules.RollUp(mode, [new(onlyOtherKind, 1, 0.9, 0.9), new(NodeKind.Kpi, 1, 0.9, 0.9)]);
        Assert.True(r.NoData);
        Assert.Equal(0.0, r.Progress, Precision);
        Assert.Null(r.Confidence);
    }

    [Fact]
    public void RollUpClampsProgressAbove1InsideTheMean()
    {
        // 1.5 counts as 1: (1 + 0.5) / 2 = 0.75 (unclamped it would be 1.0).
        var r = Rules.RollUp(RollUpMode.KeyResultsOnly,
            [new(NodeKind.KeyResult, 1, 1.5, null), new(NodeKind.KeyResult, 1, 0.5, null)]);
        Assert.Equal(0.75, r.Progress, Precision);
    }

    [Fact]
    public void RollUpClampsProgressBelow0InsideTheMean()
    {
        // −0.4 counts as 0: (0 + 0.6) / 2 = 0.3 (unclamped it would be 0.1).
        var r = Rules.RollUp(RollUpMode.KeyResultsOnly,
            [new(NodeKind.KeyResult, 1, -0.4, null), new(NodeKind.KeyResult, 1, 0.6, null)]);
        Assert.Equal(0.3, r.Progress, Precision);
    }

    [Fact]
    public void RollUpAveragesConfidenceOverTheChildrenThatHaveOne()
    {
        // Progress over all three: (1 × 0.2 + 3 × 0.6 + 2 × 0.1) / 6 = (0.2 + 1.8 + 0.2) / 6 = 2.2 / 6.
        // Confidence over the two that have one: (1 × 0.8 + 3 × 0.4) / 4 = (0.8 + 1.2) / 4 = 0.5.
        var r = Rules.RollUp(RollUpMode.KeyResultsOnly,
        [
            new(NodeKind.KeyResult, 1, 0.2, 0.8),
            new(NodeKind.KeyResult, 3, 0.6, 0.4),
            new(NodeKind.KeyResult, 2, 0.1, null),
        ]);
        Assert.Equal(2.2 / 6, r.Progress, Precision);
        AssertClose(0.5, r.Confidence);
    }

    [Fact]
    public void RollUpWithoutAnyConfidenceHasNoneButStillHasData()
    {
        var r = Rules.RollUp(RollUpMode.KeyResultsOnly,
            [new(NodeKind.KeyResult, 1, 0.2, null), new(NodeKind.KeyResult, 1, 0.4, null)]);
        Assert.False(r.NoData);
        Assert.Equal(0.3, r.Progress, Precision);
        Assert.Null(r.Confidence);
    }

    // ---------------------------------------------------------------- KPI health and baseline

    [Theory]
    // Higher is better: green ≥ 90, yellow ≥ 75, else red.
    [InlineData(Direction.HigherIsBetter, 90, 75, 95.0, Health.Green)]
    [InlineData(Direction.HigherIsBetter, 90, 75, 90.0, Health.Green)]     // at green
    [InlineData(Direction.HigherIsBetter, 90, 75, 89.9, Health.Yellow)]
    [InlineData(Direction.HigherIsBetter, 90, 75, 75.0, Health.Yellow)]    // at yellow
    [InlineData(Direction.HigherIsBetter, 90, 75, 74.9, Health.Red)]
    [InlineData(Direction.HigherIsBetter, 90, 75, -10.0, Health.Red)]
    [InlineData(Direction.HigherIsBetter, 90, 75, null, Health.NoData)]
    // Lower is better: green ≤ 200, yellow ≤ 500, else red.
    [InlineData(Direction.LowerIsBetter, 200, 500, 150.0, Health.Green)]
    [InlineData(Direction.LowerIsBetter, 200, 500, 200.0, Health.Green)]   // at green
    [InlineData(Direction.LowerIsBetter, 200, 500, 200.1, Health.Yellow)]
    [InlineData(Direction.LowerIsBetter, 200, 500, 500.0, Health.Yellow)]  // at yellow
    [InlineData(Direction.LowerIsBetter, 200, 500, 500.1, Health.Red)]
    [InlineData(Direction.LowerIsBetter, 200, 500, 9000.0, Health.Red)]
    [InlineData(Direction.LowerIsBetter, 200, 500, null, Health.NoData)]
    public void KpiHealthFromThresholdsAndDirection(Direction direction, double green, double yellow, double? value, Health health) =>
        Assert.Equal(health, Rules.KpiHealth(direction, new KpiThresholds(green, yellow), value));

    [Theory]
    [InlineData(Direction.HigherIsBetter, 100, 99.0, true)]     // worse: lower
    [InlineData(Direction.HigherIsBetter, 100, 100.0, false)]   // equal is not a dip
    [InlineData(Direction.HigherIsBetter, 100, 101.0, false)]
    [InlineData(Direction.HigherIsBetter, 100, null, false)]    // nothing measured
    [InlineData(Direction.LowerIsBetter, 100, 101.0, true)]     // worse: higher
    [InlineData(Direction.LowerIsBetter, 100, 100.0, false)]    // equal is not a dip
    [InlineData(Direction.LowerIsBetter, 100, 99.0, false)]
    [InlineData(Direction.LowerIsBetter, 100, null, false)]
    public void BelowBaselineFlagsAValueWorseThanTheBaseline(Direction direction, double baseline, double? value, bool dip) =>
        Assert.Equal(dip, Rules.BelowBaseline(direction, baseline, value));

    // ---------------------------------------------------------------- Grade / MeetsStretch / Freeze

    [Theory]
    [InlineData(0.694, 0.69)]
    [InlineData(0.695, 0.70)]     // half a hundredth rounds up
    [InlineData(0.6949, 0.69)]
    [InlineData(0.125, 0.13)]     // an exact binary midpoint rounds away from zero
    [InlineData(0.7, 0.7)]
    [InlineData(0.994, 0.99)]
    [InlineData(0.996, 1.0)]
    [InlineData(1.0, 1.0)]
    [InlineData(1.3, 1.0)]        // clamped before rounding
    [InlineData(0.0, 0.0)]
    [InlineData(-0.2, 0.0)]       // clamped before rounding
    public void GradeIsClampedProgressRoundedToHundredths(double progress, double grade) =>
        Assert.Equal(grade, Rules.Grade(progress), Precision);

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.69, false)]
    [InlineData(0.7, true)]
    [InlineData(0.71, true)]
    [InlineData(1.0, true)]
    public void MeetsStretchWithTheDefaultPolicy(double grade, bool meets) =>
        Assert.Equal(meets, Rules.MeetsStretch(grade, Default));

    [Theory]
    [InlineData(0.7, false)]
    [InlineData(0.79, false)]
    [InlineData(0.8, true)]
    [InlineData(0.85, true)]
    public void MeetsStretchWithACustomPolicy(double grade, bool meets) =>
        Assert.Equal(meets, Rules.MeetsStretch(grade, new ScoringPolicy(0.10, 0.25, 0.8)));

    [Theory]
    [InlineData(0.695, true)]     // grade 0.70
    [InlineData(0.6949, false)]   // grade 0.69
    public void AGradeJustAtTheStretchLineAfterRounding(double progress, bool meets) =>
        Assert.Equal(meets, Rules.MeetsStretch(Rules.Grade(progress), Default));

    [Fact]
    public void FreezeSetsTheGradeAndKeepsTheRest()
    {
        var score = new NodeScore("c1:o", NodeKind.Objective, 4, 0.695, 0.695, Status.AtRisk, 0.5, false, null);
        var frozen = Rules.Freeze(score);
        AssertClose(0.70, frozen.Grade);
        Assert.Equal(score with { Grade = frozen.Grade }, frozen);
    }

    // ---------------------------------------------------------------- ScoreKeyResult

    [Fact]
    public void ScoreKeyResultWithoutAValueHasNoData()
    {
        var s = Rules.ScoreKeyResult(Kr(KeyResultKind.Increase, 0, 100), 0, hasValue: false, null, 0.5, Default, version: 3);
        Assert.Equal("c1:kr", s.NodeId);
        Assert.Equal(NodeKind.KeyResult, s.Kind);
        Assert.Equal(3, s.Version);
        Assert.Equal(Status.NoData, s.Status);
        Assert.True(s.NoData);
        Assert.Equal(0.0, s.Progress, Precision);
        Assert.Equal(0.0, s.RawProgress, Precision);
        Assert.Null(s.Confidence);
        Assert.Null(s.Grade);
    }

    [Theory]
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 95, 94)]   // even a failing stay KR has no status before a check-in
    [InlineData(KeyResultKind.Milestone, 0, 1, 0)]
    [InlineData(KeyResultKind.Decrease, 100, 40, 100)]
    public void ScoreKeyResultIsNoDataForEveryKindUntilAValueArrives(KeyResultKind kind, double start, double target, double current)
    {
        var s = Rules.ScoreKeyResult(Kr(kind, start, target), current, hasValue: false, 0.5, 0.9, Default);
        Assert.Equal(Status.NoData, s.Status);
        Assert.True(s.NoData);
    }

    [Theory]
    // kind, start, target, current, elapsed → progress, raw, status
    [InlineData(KeyResultKind.Increase, 0, 100, 125, 0.9, 1.0, 1.25, Status.OnTrack)]     // overshoot
    [InlineData(KeyResultKind.Increase, 0, 100, 50, 0.5, 0.5, 0.5, Status.OnTrack)]       // on pace
    [InlineData(KeyResultKind.Increase, 0, 100, 30, 0.5, 0.3, 0.3, Status.AtRisk)]        // gap 0.2
    [InlineData(KeyResultKind.Increase, 0, 100, -20, 0.5, 0.0, -0.2, Status.OffTrack)]    // below start, gap 0.5
    [InlineData(KeyResultKind.Decrease, 100, 40, 70, 0.6, 0.5, 0.5, Status.OnTrack)]      // gap 0.1
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 95, 94, 0.1, 0.0, 0.0, Status.OffTrack)]  // expected 1, not 0.1
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 95, 96, 0.1, 1.0, 1.0, Status.OnTrack)]
    [InlineData(KeyResultKind.StayAtOrBelow, 0, 200, 201, 0.0, 0.0, 0.0, Status.OffTrack)] // expected 1 even at the start
    [InlineData(KeyResultKind.Milestone, 0, 1, 0, 0.05, 0.0, 0.0, Status.OnTrack)]        // gap 0.05
    [InlineData(KeyResultKind.Milestone, 0, 1, 0, 0.5, 0.0, 0.0, Status.OffTrack)]        // gap 0.5
    [InlineData(KeyResultKind.KpiLinked, 200, 300, 275, 1.0, 0.75, 0.75, Status.AtRisk)]  // gap 0.25
    public void ScoreKeyResultWithAValue(
        KeyResultKind kind, double start, double target, double current, double elapsed,
        double progress, double raw, Status status)
    {
        var s = Rules.ScoreKeyResult(Kr(kind, start, target), current, hasValue: true, 0.6, elapsed, Default);
        Assert.Equal(progress, s.Progress, Precision);
        Assert.Equal(raw, s.RawProgress, Precision);
        Assert.Equal(status, s.Status);
        Assert.False(s.NoData);
        AssertClose(0.6, s.Confidence);
        AssertClose(current, s.Value);
        Assert.Null(s.Grade);
    }

    // ---------------------------------------------------------------- ScoreObjective

    [Fact]
    public void ScoreObjectiveWithoutChildrenHasNoDataStatus()
    {
        var s = Rules.ScoreObjective(Objective(RollUpMode.KeyResultsAndObjectives), [], 0.9, Default, version: 7);
        Assert.Equal("c1:o", s.NodeId);
        Assert.Equal(NodeKind.Objective, s.Kind);
        Assert.Equal(7, s.Version);
        Assert.Equal(Status.NoData, s.Status);   // not OffTrack, although 0 is far behind 0.9
        Assert.True(s.NoData);
        Assert.Equal(0.0, s.Progress, Precision);
        Assert.Null(s.Confidence);
    }

    [Fact]
    public void ScoreObjectiveWithOnlyFilteredChildrenHasNoDataStatus()
    {
        var s = Rules.ScoreObjective(Objective(RollUpMode.ObjectivesOnly),
            [new(NodeKind.KeyResult, 1, 1.0, 0.9)], 0.5, Default);
        Assert.Equal(Status.NoData, s.Status);
        Assert.True(s.NoData);
    }

    [Theory]
    // Children 0.2 (weight 1) and 0.6 (weight 3): (0.2 + 1.8) / 4 = 0.5.
    [InlineData(0.5, Status.OnTrack)]    // gap 0
    [InlineData(0.6, Status.OnTrack)]    // gap 0.1
    [InlineData(0.7, Status.AtRisk)]     // gap 0.2
    [InlineData(0.9, Status.OffTrack)]   // gap 0.4
    public void ScoreObjectiveStatusIsAgainstTheElapsedFraction(double elapsed, Status status)
    {
        var s = Rules.ScoreObjective(Objective(RollUpMode.KeyResultsOnly),
            [new(NodeKind.KeyResult, 1, 0.2, 0.8), new(NodeKind.KeyResult, 3, 0.6, null)], elapsed, Default);
        Assert.Equal(0.5, s.Progress, Precision);
        Assert.Equal(0.5, s.RawProgress, Precision);
        Assert.Equal(status, s.Status);
        Assert.False(s.NoData);
        AssertClose(0.8, s.Confidence);
    }

    internal static void AssertClose(double expected, double? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual.Value, Precision);
    }
}
