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
/// Figure 10 without the engine, on one organisation size: <see cref="Simulator.Simulate"/> of one and of ten moves,
/// and the other pure parts of a scenario's impact, each timed separately so the report can say where the time goes.
/// </summary>
/// <param name="GenerateSeconds">Generating the organisation (not part of any planner figure; for the record).</param>
/// <param name="ScoreSeconds">Scoring it whole with <see cref="GraphScorer"/> to make the snapshot (likewise).</param>
/// <param name="OneMove">Simulate, one move, the two kinds taking turns over the repetitions.</param>
/// <param name="TenMoves">Simulate, ten moves, five of each kind.</param>
/// <param name="ImpactedOneMove">Median number of objectives a one-move simulation scored before and after.</param>
/// <param name="GraphConstruction">One <c>new PlanGraph(snapshot)</c>: Simulate builds two (and an index of the objectives).</param>
/// <param name="AlignmentBeforeAfter"><see cref="AlignmentSummary.Of"/> on the graph before and after one move (graphs built beforehand).</param>
/// <param name="InfluenceRanked"><see cref="Influence.Ranked"/> of the first company objective (graph built beforehand).</param>
/// <param name="ImpactCompute">What <see cref="IScenarioGrain.GetImpactAsync"/> computes once it holds a snapshot, one move:
/// two more graphs, Simulate, the moves applied to one, two alignment summaries. No snapshot, no call, no staleness check.</param>
public sealed record SimulationFigure(
    int Nodes,
    double GenerateSeconds,
    double ScoreSeconds,
    Timing OneMove,
    Timing TenMoves,
    int ImpactedOneMove,
    int ImpactedTenMoves,
    Timing GraphConstruction,
    Timing AlignmentBeforeAfter,
    Timing InfluenceRanked,
    int RankedKeyResults,
    Timing ImpactCompute);

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

        var oneImpacted = new List<int>();
        var one = series.Time(minRuns: 10, i =>
        {
            var set = moves.Set(1, rng, first: i);
            return () => Check(Simulator.Simulate(snapshot, set), set, i < 0 ? null : oneImpacted);
        });
        var tenImpacted = new List<int>();
        var ten = series.Time(minRuns: 10, i =>
        {
            var set = moves.Set(10, rng);
            return () => Check(Simulator.Simulate(snapshot, set), set, i < 0 ? null : tenImpacted);
        });
        var graph = series.Time(minRuns: 5, _ => () => new PlanGraph(snapshot));

        var before = new PlanGraph(snapshot);
        var alignment = series.Time(minRuns: 5, i =>
        {
            var after = new PlanGraph(snapshot);
            foreach (var m in moves.Set(1, rng, first: i)) after.Apply(m);
            return () => (AlignmentSummary.Of(before, organisation), AlignmentSummary.Of(after, organisation));
        });
        var company = org.Roots.Select(o => o.Id).Order(StringComparer.Ordinal).First();
        var ranked = Influence.Ranked(before, company, snapshot.Scores).Length;
        var influence = series.Time(minRuns: 5, _ => () => Influence.Ranked(before, company, snapshot.Scores));
        var impact = series.Time(minRuns: 5, i =>
        {
            var set = moves.Set(1, rng, first: i);
            return () => ImpactCompute(snapshot, set, organisation);
        });
        return new SimulationFigure(org.NodeCount, generateSeconds, scoreSeconds, one, ten, Median(oneImpacted), Median(tenImpacted),
            graph, alignment, influence, ranked, impact);
    }

    /// <summary>The computing part of ScenarioGrain.GetImpactAsync, step for step, on a snapshot it already holds.</summary>
    private static object ImpactCompute(CycleSnapshot snapshot, ImmutableArray<PlanMove> moves, OrganisationView organisation)
    {
        var before = new PlanGraph(snapshot);
        var after = new PlanGraph(snapshot);
        var simulation = Simulator.Simulate(snapshot, moves);
        for (int i = 0; i < moves.Length; i++)
            if (simulation.Rejected.All(r => r.Index != i)) after.Apply(moves[i]);
        return (simulation, AlignmentSummary.Of(before, organisation), AlignmentSummary.Of(after, organisation));
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
