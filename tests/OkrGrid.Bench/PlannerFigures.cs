using System.Text.Json;
using System.Text.Json.Serialization;
using OkrGrid.Domain.Planning;
using OkrGrid.Planning;

namespace OkrGrid.Bench;

/// <summary>
/// Timed repetitions of one operation and what they cost the garbage collector, per run (process-wide counters:
/// nothing else runs while the pure figures are timed). The planner's whole-graph work is mostly allocation, so
/// the GC columns say where much of its time goes.
/// </summary>
public sealed record Timing(LatencySummary Latency, double AllocatedMiB, double GcPauseMs, double Gen2Collections)
{
    public override string ToString() => Latency.Count == 0 ? "—"
        : $"p50 {Latency.P50Ms:F1} / p95 {Latency.P95Ms:F1} / max {Latency.MaxMs:F1} ms ({Latency.Count} runs; per run {AllocatedMiB:F0} MiB allocated, " +
          $"GC pauses {GcPauseMs:F0} ms, {Gen2Collections:F1} gen-2 GCs)";

    /// <summary>The process's GC counters: sampled around the timed part of each run and added up.</summary>
    public readonly record struct GcCounters(long Allocated, TimeSpan Paused, int Gen2)
    {
        public static GcCounters Now() => new(GC.GetTotalAllocatedBytes(), GC.GetTotalPauseDuration(), GC.CollectionCount(2));

        public static GcCounters operator -(GcCounters a, GcCounters b) => new(a.Allocated - b.Allocated, a.Paused - b.Paused, a.Gen2 - b.Gen2);
        public static GcCounters operator +(GcCounters a, GcCounters b) => new(a.Allocated + b.Allocated, a.Paused + b.Paused, a.Gen2 + b.Gen2);

        /// <summary>The timing of a series whose runs' counters add up to this.</summary>
        public Timing Per(LatencySummary latency)
        {
            var runs = Math.Max(1, latency.Count);
            return new Timing(latency, Allocated / 1048576.0 / runs, Paused.TotalMilliseconds / runs, Gen2 / (double)runs);
        }
    }
}

/// <summary>
/// Figure 10 without the engine, on one organisation size, timed as the scenario grain works: it builds a
/// <see cref="PlanBasis"/> (graph and alignment index) once per snapshot, then simulates every edit of the moves on it.
/// </summary>
/// <param name="GenerateSeconds">Generating the organisation (not part of any planner figure; for the record).</param>
/// <param name="ScoreSeconds">Scoring it whole with <see cref="GraphScorer"/> to make the snapshot (likewise).</param>
/// <param name="OneMove">Simulate one move on the held basis (<see cref="Simulator.Run(PlanGraph, CycleSnapshot, IReadOnlyList{PlanMove})"/>),
/// the two kinds taking turns over the repetitions: the planner's target.</param>
/// <param name="TenMoves">The same, ten moves, five of each kind.</param>
/// <param name="ImpactedOneMove">Median number of objectives a one-move simulation scored before and after.</param>
/// <param name="BasisBuild">Once per snapshot: the graph of the snapshot and its alignment index (with the alignment before).</param>
/// <param name="AlignmentAfter"><see cref="AlignmentIndex.After"/> of a one-move simulation (simulation run beforehand).</param>
/// <param name="InfluenceRanked"><see cref="Influence.Ranked"/> of the first company objective (graph built beforehand).</param>
/// <param name="ImpactCompute">What <see cref="IScenarioGrain.GetImpactAsync"/> computes after an edit of one move, on the basis
/// it holds: simulate and the alignment after. No snapshot, no call, no staleness check.</param>
/// <param name="StandaloneOneMove">For comparison, <see cref="Simulator.Simulate"/> of one move building its own graph.</param>
/// <param name="ImpactJsonKiB">A one-move impact as the REST API writes it (camelCase, enums as strings): its size.</param>
public sealed record SimulationFigure(
    int Nodes,
    double GenerateSeconds,
    double ScoreSeconds,
    Timing OneMove,
    Timing TenMoves,
    int ImpactedOneMove,
    int ImpactedTenMoves,
    Timing BasisBuild,
    Timing AlignmentAfter,
    Timing InfluenceRanked,
    int RankedKeyResults,
    Timing ImpactCompute,
    Timing StandaloneOneMove,
    double ImpactJsonKiB);

/// <summary>Figure 10: the simulations on each size, and the planner through the engine.</summary>
public sealed record PlannerResult(ImmutableArray<SimulationFigure> Simulation, PlannerEngineResult? Engine)
{
    public bool Passed => Engine is null || Engine.Failures.IsEmpty;
}

public static class PlannerFigures
{
    /// <summary>One move on the 100k organisation, simulated, within this (the planner's stated target).</summary>
    public const double OneMoveTargetMs = 50;

    /// <summary>
    /// Each timed series stops after this much timed work once it has its minimum of runs: on 1M nodes one simulation
    /// takes seconds, and 50 of each would take the run past ten minutes.
    /// </summary>
    private static readonly TimeSpan SeriesBudget = TimeSpan.FromSeconds(30);

    public static SimulationFigure Simulation(SyntheticOrg org, double generateSeconds, DateTimeOffset now, BenchOptions options)
    {
        var started = Stopwatch.GetTimestamp();
        var snapshot = PlannerMoves.EngineShapedSnapshot(org, now, options.Seed);
        var scoreSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var moves = new PlannerMoves(org);
        var organisation = PlannerMoves.Organisation(org);
        var rng = new Random(HashCode.Combine(options.Seed, org.NodeCount));
        var series = new Series(options.PlannerRuns, options.Quick ? TimeSpan.Zero : TimeSpan.FromSeconds(1));

        var basis = new PlanBasis(snapshot, organisation);
        _ = basis.Alignment;
        var oneImpacted = new List<int>();
        var one = series.Time(minRuns: 10, i =>
        {
            var set = moves.Set(1, rng, first: i);
            return () => Check(basis.Run(set).Result, set, i < 0 ? null : oneImpacted);
        });
        var tenImpacted = new List<int>();
        var ten = series.Time(minRuns: 10, i =>
        {
            var set = moves.Set(10, rng);
            return () => Check(basis.Run(set).Result, set, i < 0 ? null : tenImpacted);
        });
        var build = series.Time(minRuns: 5, _ => () => new PlanBasis(snapshot, organisation).Alignment);
        var alignment = series.Time(minRuns: 10, i =>
        {
            var run = basis.Run(moves.Set(1, rng, first: i));
            return () => basis.Alignment.After(run);
        });
        var company = org.Roots.Select(o => o.Id).Order(StringComparer.Ordinal).First();
        var ranked = Influence.Ranked(basis.Graph, company, snapshot.Scores).Length;
        var influence = series.Time(minRuns: 5, _ => () => Influence.Ranked(basis.Graph, company, snapshot.Scores));
        var impact = series.Time(minRuns: 10, i =>
        {
            var set = moves.Set(1, rng, first: i);
            return () => basis.Impact(set);
        });
        var standalone = series.Time(minRuns: 5, i =>
        {
            var set = moves.Set(1, rng, first: i);
            return () => Check(Simulator.Simulate(snapshot, set), set, null);
        });
        return new SimulationFigure(org.NodeCount, generateSeconds, scoreSeconds, one, ten, Median(oneImpacted), Median(tenImpacted),
            build, alignment, influence, ranked, impact, standalone, ImpactJsonKiB(basis, moves.Set(1, rng, first: 0), org));
    }

    private static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        MaxDepth = 256,
    };

    /// <summary>The size of a one-move impact as the REST API sends it (the alignment lists every contributor before and after).</summary>
    private static double ImpactJsonKiB(PlanBasis basis, ImmutableArray<PlanMove> moves, SyntheticOrg org)
    {
        var (run, before, after) = basis.Impact(moves);
        var view = new ScenarioView("bench", "Bench", org.CompanyId, org.Cycle.Id, "bench", DateTimeOffset.UnixEpoch, ScenarioState.Open, moves, null);
        return JsonSerializer.SerializeToUtf8Bytes(new ScenarioImpact(view, run.Result, before, after, false), ApiJson).Length / 1024.0;
    }

    /// <summary>Every move the bench makes is valid: a refusal is a bug here or in the planner, never a figure.</summary>
    private static SimulationResult Check(SimulationResult result, ImmutableArray<PlanMove> moves, List<int>? impacted)
    {
        if (!result.Rejected.IsEmpty)
            throw new InvalidOperationException($"The simulator refused a valid move: {result.Rejected[0].Move} ({result.Rejected[0].Field}: {result.Rejected[0].Reason}).");
        if (result.AppliedMoves != moves.Length) throw new InvalidOperationException($"{result.AppliedMoves} of {moves.Length} moves applied.");
        impacted?.Add(result.Impacts.Length);
        return result;
    }

    private static int Median(List<int> values)
    {
        if (values.Count == 0) return 0;
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>How the pure figures repeat an operation: up to <paramref name="runs"/> times after a warm-up.</summary>
    private sealed class Series(int runs, TimeSpan warmup)
    {
        /// <summary>
        /// Runs <paramref name="prepare"/>'s action untimed for at least the warm-up (and at least once), so that tiered
        /// compilation has settled, then timed up to <c>runs</c> times, or <paramref name="minRuns"/> once the timed work
        /// passes <see cref="SeriesBudget"/>. Preparing (picking moves, building inputs) is never timed. The warm-up runs
        /// are numbered −1, −2, …, the timed ones 0, 1, ….
        /// </summary>
        public Timing Time(int minRuns, Func<int, Func<object>> prepare)
        {
            var started = Stopwatch.GetTimestamp();
            for (int i = -1; i == -1 || Stopwatch.GetElapsedTime(started) < warmup; i--) GC.KeepAlive(prepare(i)());
            var latency = new Latency();
            var timed = TimeSpan.Zero;
            var gc = default(Timing.GcCounters);
            for (int i = 0; i < runs && (i < minRuns || timed < SeriesBudget); i++)
            {
                var action = prepare(i);
                var before = Timing.GcCounters.Now();
                var t0 = Stopwatch.GetTimestamp();
                var result = action();
                var elapsed = Stopwatch.GetElapsedTime(t0);
                gc += Timing.GcCounters.Now() - before;
                latency.Record(elapsed);
                timed += elapsed;
                GC.KeepAlive(result);
            }
            return gc.Per(latency.Summary());
        }
    }
}
