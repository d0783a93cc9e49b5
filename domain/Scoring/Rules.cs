using System.Runtime.InteropServices;
using OkrGrid.Model;

namespace OkrGrid.Domain.Scoring;

/// <summary>
/// The scoring rules of OkrGrid: pure functions, the one place they live. Grains, the planner and the
/// tests all call these, so a score computed anywhere is the same number.
/// </summary>
public static class Rules
{
    /// <summary>
    /// Raw progress of a key result, for display (may exceed 1 or go below 0 for increase/decrease kinds).
    /// Stay kinds and milestones are 1 when the condition holds, else 0.
    /// </summary>
    public static double RawProgress(KeyResultKind kind, double start, double target, double current) => kind switch
    {
        KeyResultKind.Increase or KeyResultKind.Decrease or KeyResultKind.KpiLinked =>
            target == start ? 0 : (current - start) / (target - start),
        KeyResultKind.StayAtOrAbove => current >= target ? 1 : 0,
        KeyResultKind.StayAtOrBelow => current <= target ? 1 : 0,
        KeyResultKind.Milestone => current >= 1 ? 1 : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Progress as used in roll-ups: clamped to [0, 1].</summary>
    public static double Clamp(double rawProgress) => Math.Clamp(rawProgress, 0.0, 1.0);

    /// <summary>The elapsed fraction of the cycle at <paramref name="now"/>: 0 before it starts, 1 after it ends.</summary>
    public static double ExpectedProgress(DateTimeOffset start, DateTimeOffset end, DateTimeOffset now)
    {
        if (end <= start) return 1;
        if (now <= start) return 0;
        if (now >= end) return 1;
        return (now - start).Ticks / (double)(end - start).Ticks;
    }

    /// <summary>
    /// The pace a key result is measured against. A "stay at or above/below" key result must hold at every
    /// moment of the cycle, so it is measured against full progress rather than the elapsed fraction.
    /// </summary>
    public static double ExpectedFor(KeyResultKind kind, double elapsed) => PaceMoves(kind) ? elapsed : 1.0;

    /// <summary>Whether the pace a key result of this kind is measured against moves as the cycle goes by.</summary>
    public static bool PaceMoves(KeyResultKind kind) => kind is not (KeyResultKind.StayAtOrAbove or KeyResultKind.StayAtOrBelow);

    /// <summary>
    /// On track when progress ≥ expected − on-track margin; at risk when the gap is at most the at-risk
    /// margin; off track beyond.
    /// </summary>
    public static Status StatusOf(double progress, double expected, ScoringPolicy policy)
    {
        var gap = expected - progress;
        // A tiny epsilon keeps 0.6 vs 0.7 − 0.1 from flipping on floating-point noise.
        const double eps = 1e-9;
        if (gap <= policy.OnTrackMargin + eps) return Status.OnTrack;
        if (gap <= policy.AtRiskMargin + eps) return Status.AtRisk;
        return Status.OffTrack;
    }

    /// <summary>Whether a child of this kind counts in an objective with this roll-up mode.</summary>
    public static bool Counts(RollUpMode mode, NodeKind childKind) => mode switch
    {
        RollUpMode.KeyResultsOnly => childKind == NodeKind.KeyResult,
        RollUpMode.ObjectivesOnly => childKind == NodeKind.Objective,
        _ => childKind is NodeKind.KeyResult or NodeKind.Objective,
    };

    /// <summary>
    /// Objective progress: the weighted mean of its contributing children's clamped progress. No
    /// contributing child, or only zero weights, gives 0 marked "no data". Confidence is the weighted
    /// mean over the children that report one.
    /// </summary>
    public static RollUpResult RollUp(RollUpMode mode, IEnumerable<Contribution> children) => RollUp(mode, AsSpan(children));

    /// <summary>An array's or a list's own items (no copy: an objective grain rolls up on every forwarded change).</summary>
    private static ReadOnlySpan<Contribution> AsSpan(IEnumerable<Contribution> children) => children switch
    {
        Contribution[] array => array,
        List<Contribution> list => CollectionsMarshal.AsSpan(list),
        _ => children.ToArray(),
    };

    /// <inheritdoc cref="RollUp(RollUpMode, IEnumerable{Contribution})"/>
    public static RollUpResult RollUp(RollUpMode mode, ReadOnlySpan<Contribution> children)
    {
        double weightSum = 0, sum = 0, confWeight = 0, confSum = 0;
        foreach (var c in children)
        {
            if (!Counts(mode, c.Kind) || c.Weight <= 0) continue;
            weightSum += c.Weight;
            sum += c.Weight * Clamp(c.Progress);
            if (c.Confidence is { } conf)
            {
                confWeight += c.Weight;
                confSum += c.Weight * conf;
            }
        }
        if (weightSum <= 0) return new RollUpResult(0, null, NoData: true);
        return new RollUpResult(sum / weightSum, confWeight > 0 ? confSum / confWeight : null, NoData: false);
    }

    /// <summary>The final grade of a closed node: its clamped progress, rounded to hundredths.</summary>
    public static double Grade(double progress) => Math.Round(Clamp(progress), 2, MidpointRounding.AwayFromZero);

    /// <summary>Whether a final grade meets a stretch goal (0.7 by default).</summary>
    public static bool MeetsStretch(double grade, ScoringPolicy policy) => grade >= policy.StretchMet - 1e-9;

    /// <summary>KPI health from its thresholds and direction; no measurement yet is "no data".</summary>
    public static Health KpiHealth(Direction direction, KpiThresholds thresholds, double? value)
    {
        if (value is not { } v) return Health.NoData;
        return direction == Direction.HigherIsBetter
            ? v >= thresholds.Green ? Health.Green : v >= thresholds.Yellow ? Health.Yellow : Health.Red
            : v <= thresholds.Green ? Health.Green : v <= thresholds.Yellow ? Health.Yellow : Health.Red;
    }

    /// <summary>A dip below the baseline: worse than the baseline in the KPI's own direction.</summary>
    public static bool BelowBaseline(Direction direction, double baseline, double? value) =>
        value is { } v && (direction == Direction.HigherIsBetter ? v < baseline : v > baseline);

    /// <summary>The score of a key result from its definition and current value.</summary>
    public static NodeScore ScoreKeyResult(
        KeyResultDefinition kr, double current, bool hasValue, double? confidence,
        double elapsed, ScoringPolicy policy, long version = 0)
    {
        var raw = RawProgress(kr.Kind, kr.Start, kr.Target, current);
        var progress = Clamp(raw);
        var status = hasValue ? StatusOf(progress, ExpectedFor(kr.Kind, elapsed), policy) : Status.NoData;
        return new NodeScore(kr.Id, NodeKind.KeyResult, version, progress, raw, status, confidence, !hasValue, null, current);
    }

    /// <summary>The score of an objective from its children's contributions.</summary>
    public static NodeScore ScoreObjective(
        ObjectiveDefinition objective, IEnumerable<Contribution> children,
        double elapsed, ScoringPolicy policy, long version = 0) =>
        ScoreObjective(objective, AsSpan(children), elapsed, policy, version);

    /// <inheritdoc cref="ScoreObjective(ObjectiveDefinition, IEnumerable{Contribution}, double, ScoringPolicy, long)"/>
    public static NodeScore ScoreObjective(
        ObjectiveDefinition objective, ReadOnlySpan<Contribution> children,
        double elapsed, ScoringPolicy policy, long version = 0)
    {
        var r = RollUp(objective.RollUp, children);
        var status = r.NoData ? Status.NoData : StatusOf(r.Progress, elapsed, policy);
        return new NodeScore(objective.Id, NodeKind.Objective, version, r.Progress, r.Progress, status, r.Confidence, r.NoData, null);
    }

    /// <summary>The same score frozen with its final grade (when a cycle closes).</summary>
    public static NodeScore Freeze(NodeScore score) => score with { Grade = Grade(score.Progress) };
}
