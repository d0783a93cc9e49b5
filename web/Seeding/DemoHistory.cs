namespace OkrGrid.Web.Seeding;

/// <summary>
/// Made-up but plausible history for the demo: weekly check-ins and KPI measurements from the start of the cycle
/// up to now. Deterministic: each series has its own generator seeded from a fixed seed and the series' id, and
/// draws the same numbers whatever "now" is, so a later run only adds the weeks that have passed since.
/// </summary>
public static class DemoHistory
{
    private const int Seed = 20_261;
    private const string MeasurementAuthor = "Lumen metrics pipeline";

    /// <summary>The calendar quarter containing <paramref name="now"/> (UTC), e.g. id "2026-q4", name "2026-Q4".</summary>
    public static CycleDefinition QuarterContaining(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        var quarter = (utc.Month - 1) / 3 + 1;
        var start = new DateTimeOffset(utc.Year, (quarter - 1) * 3 + 1, 1, 0, 0, 0, TimeSpan.Zero);
        return new CycleDefinition($"{utc.Year}-q{quarter}", $"{utc.Year}-Q{quarter}", start, start.AddMonths(3));
    }

    /// <summary>The client id of a seeded check-in or measurement: a re-run sends the same ids, applied once.</summary>
    public static string ClientId(string seriesId, int week) => $"seed-{seriesId}-{week}";

    public static IEnumerable<CheckIn> CheckIns(DemoKeyResult kr, CycleDefinition cycle, DateTimeOffset now)
    {
        if (kr.Kind == KeyResultKind.KpiLinked) yield break; // its value comes from the KPI
        var rng = new Random(Seed ^ StableHash(kr.Id));
        var author = DemoCompany.NameOf(kr.OwnerPersonId);
        var domain = kr.Domain;
        // A key result that reports a KPI's number reports what the KPI measured last: the two never disagree.
        var measured = kr.Measures is { } kpiId && DemoCompany.Kpi(kpiId) is { } kpi ? Measurements(kpi, cycle, now).ToList() : null;
        double previous = 0, previousValue = kr.Start;
        for (var week = 0; ; week++)
        {
            // Every draw happens before the cut-off, so a week's numbers do not depend on "now".
            var at = cycle.Start.AddDays(7 * week + 1 + rng.Next(0, 4)).AddHours(9 + rng.Next(0, 8)).AddMinutes(rng.Next(0, 60));
            var noise = rng.NextDouble();
            var chance = rng.NextDouble();
            var confidenceNoise = rng.NextDouble() - 0.5;
            var withoutConfidence = week > 0 && rng.NextDouble() < 0.15;
            var pick = rng.Next(1000);
            if (at >= cycle.End || at > now) yield break;

            var elapsed = Rules.ExpectedProgress(cycle.Start, cycle.End, at);
            double value, progress, confidence;
            string note;
            switch (kr.Kind)
            {
                case KeyResultKind.Milestone:
                    var done = elapsed >= kr.Shape;
                    value = progress = done ? 1 : 0;
                    confidence = done ? 1 : (kr.Shape <= 1 ? 0.75 : 0.4) + confidenceNoise * 0.1;
                    note = done && previous < 1 ? "Done!" : done ? "Done." : week == 0 ? "Kick-off: scope and plan agreed." : Pick(MilestoneNotes, pick);
                    break;
                case KeyResultKind.StayAtOrAbove or KeyResultKind.StayAtOrBelow:
                    var breach = (kr.Shape < 1 && week >= 5) || chance < 0.08;
                    value = StayValue(kr, breach, noise);
                    if (measured?.LastOrDefault(m => m.At <= at) is { } latest)
                    {
                        value = latest.Value;
                        breach = kr.Kind == KeyResultKind.StayAtOrAbove ? value < kr.Target : value > kr.Target;
                    }
                    progress = breach ? 0 : 1;
                    confidence = (breach ? 0.5 : 0.85) + confidenceNoise * 0.1;
                    note = breach
                        ? (kr.Kind == KeyResultKind.StayAtOrAbove ? "Dipped below the target this week; review scheduled." : "Went over the limit this week; review scheduled.")
                        : Pick(HoldingNotes, pick);
                    break;
                default:
                    progress = Math.Clamp(kr.Shape * elapsed + (noise - 0.5) * 0.06, 0, 1);
                    progress = Math.Max(progress, previous - 0.03); // an occasional small slip, never a collapse
                    value = Math.Round(kr.Start + (kr.Target - kr.Start) * progress, kr.Decimals);
                    confidence = 0.35 + 0.5 * Math.Min(kr.Shape, 1.1) + confidenceNoise * 0.1;
                    // The note follows the reported (rounded) value, so "steady progress" never sits on a flat number.
                    var reportedDelta = (value - previousValue) / (kr.Target - kr.Start);
                    note = week == 0 ? "Kick-off: baseline measured and plan agreed with the team." : ProgressNote(reportedDelta, pick);
                    previousValue = value;
                    break;
            }
            previous = progress;
            double? reported = withoutConfidence ? null : Math.Round(Math.Clamp(confidence, 0.05, 1) * 20) / 20;
            yield return new CheckIn(ClientId(kr.Id, week), domain.Clamp(value), reported, note, author, at);
        }
    }

    public static IEnumerable<Measurement> Measurements(DemoKpi kpi, CycleDefinition cycle, DateTimeOffset now)
    {
        var id = kpi.Definition.Id;
        var rng = new Random(Seed ^ StableHash(id));
        var list = new List<Measurement>();
        for (var week = 0; ; week++)
        {
            var at = cycle.Start.AddDays(7 * week).AddHours(6);
            var noise = (rng.NextDouble() - 0.5) * 2 * kpi.Noise;
            if (at >= cycle.End || at > now) break;
            var elapsed = Rules.ExpectedProgress(cycle.Start, cycle.End, at);
            var (value, note) = kpi.Events.TryGetValue(week, out var e) ? e : (kpi.From + (kpi.To - kpi.From) * elapsed + noise, "");
            list.Add(new Measurement(ClientId(id, week), kpi.Domain.Clamp(Math.Round(value, kpi.Decimals)), at, note, MeasurementAuthor));
        }
        if (kpi.LatestDip is { } dip && list.Count > 0)
            list[^1] = list[^1] with { Value = dip.Value, Note = dip.Note };
        return list;
    }

    /// <summary>A value that holds (or breaches) a stay-at-or-above/below target, still so after rounding.</summary>
    private static double StayValue(DemoKeyResult kr, bool breach, double noise)
    {
        var above = kr.Kind == KeyResultKind.StayAtOrAbove;
        var step = Math.Pow(10, -kr.Decimals);
        var offset = breach ? -kr.Spread * (0.3 + 0.7 * noise) : kr.Spread * (0.15 + 0.85 * noise);
        var value = Math.Round(kr.Target + (above ? offset : -offset), kr.Decimals);
        var holds = above ? value >= kr.Target : value <= kr.Target;
        if (breach && holds) value = Math.Round(above ? kr.Target - step : kr.Target + step, kr.Decimals);
        if (!breach && !holds) value = kr.Target;
        return value;
    }

    private static string ProgressNote(double delta, int pick) => delta switch
    {
        > 0.12 => Pick(["Big week: the main piece landed.", "Strong progress, ahead of where we planned.", "Great momentum after the last release."], pick),
        > 0.005 => Pick(["Steady progress.", "On plan; nothing blocking.", "Moving in the right direction.", "Good week, small wins across the board."], pick),
        >= -0.005 => Pick(["Flat week: most of the team was on incident duty.", "Little movement; waiting on a dependency.", "Quiet week, people on holiday."], pick),
        _ => Pick(["Slipped back a little; digging into why.", "Regression this week, a fix is in review."], pick),
    };

    private static readonly string[] MilestoneNotes =
        ["Work in progress.", "On the way; a few open questions left.", "Progressing, nothing blocking.", "Slower week: other priorities came first."];

    private static readonly string[] HoldingNotes =
        ["Holding the line.", "Comfortably within the target.", "Within target; watching the trend."];

    private static string Pick(string[] options, int pick) => options[pick % options.Length];

    /// <summary>FNV-1a: a hash that is the same in every process (string.GetHashCode is not).</summary>
    private static int StableHash(string s)
    {
        unchecked
        {
            var hash = 2166136261u;
            foreach (var c in s) hash = (hash ^ c) * 16777619u;
            return (int)hash;
        }
    }
}
