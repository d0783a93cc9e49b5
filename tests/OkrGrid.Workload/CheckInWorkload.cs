namespace OkrGrid.Workload;

/// <summary>One check-in to make: which key result, the value and the confidence.</summary>
public readonly record struct PlannedCheckIn(KeyResultDefinition KeyResult, double Value, double? Confidence);

/// <summary>
/// Picks check-ins for a workload: uniform over the key results that take check-ins, or skewed so that a fixed
/// 20 % of them get 80 % of the check-ins. Each caller passes its own <see cref="Random"/>, so it is thread-safe and
/// deterministic per worker.
/// </summary>
public sealed class CheckInWorkload
{
    private readonly KeyResultDefinition[] _keyResults;
    private readonly KeyResultDefinition[] _hot;
    private readonly bool _skewed;
    private readonly SyntheticOrg _org;

    public CheckInWorkload(SyntheticOrg org, bool skewed, int seed = 7)
    {
        _org = org;
        _skewed = skewed;
        _keyResults = org.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked).ToArray();
        var rng = new Random(seed);
        _hot = _keyResults.OrderBy(_ => rng.Next()).Take(Math.Max(1, _keyResults.Length / 5)).ToArray();
    }

    public bool Skewed => _skewed;

    public PlannedCheckIn Next(Random rng)
    {
        var kr = _skewed && rng.NextDouble() < 0.8 ? _hot[rng.Next(_hot.Length)] : _keyResults[rng.Next(_keyResults.Length)];
        return new PlannedCheckIn(kr, ValueFor(kr, rng), Math.Round(0.3 + 0.65 * rng.NextDouble(), 2));
    }

    /// <summary>A plausible value: mostly between start and target, sometimes short or beyond.</summary>
    public static double ValueFor(KeyResultDefinition kr, Random rng) => kr.Kind switch
    {
        KeyResultKind.Milestone => rng.NextDouble() < 0.4 ? 1 : 0,
        KeyResultKind.StayAtOrAbove or KeyResultKind.StayAtOrBelow => Math.Round(kr.Target + (rng.NextDouble() - 0.5) * 10, 2),
        _ => Math.Round(kr.Start + (kr.Target - kr.Start) * (rng.NextDouble() * 1.35 - 0.1), 2),
    };

    /// <summary>A KPI measurement: which KPI and its value.</summary>
    public (KpiDefinition Kpi, double Value) NextMeasurement(Random rng) =>
        (_org.Kpis[rng.Next(_org.Kpis.Length)], Math.Round(20 + 60 * rng.NextDouble(), 2));

    /// <summary>A re-parenting: a key result moved to another objective.</summary>
    public (KeyResultDefinition KeyResult, ObjectiveDefinition Objective) NextMove(Random rng) =>
        (_org.KeyResults[rng.Next(_org.KeyResults.Length)], _org.Objectives[rng.Next(_org.Objectives.Length)]);
}
