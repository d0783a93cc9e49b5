using OkrGrid.Domain.Planning;
using OkrGrid.Planning;

namespace OkrGrid.Bench;

/// <param name="ApplyCall"><see cref="IScenarioGrain.ApplyAsync"/> until it returns (moves committed, setups pushed to the nodes).</param>
/// <param name="ApplyToConverged">From the same start until every objective of the simulated impact shows its simulated
/// "after" score on the change feed (the last time the last one got there; 0 when nothing had to change).</param>
/// <param name="ImpactedObjectives">Over all applies: objectives of the impacts, each verified equal to its simulated "after".</param>
/// <param name="MaxProgressDifference">Largest |live − simulated| progress over those objectives (the check allows 1e-9).</param>
public sealed record ApplyFigure(int Moves, int Applies, LatencySummary ApplyCall, LatencySummary ApplyToConverged,
    int ImpactedObjectives, double MaxProgressDifference);

/// <param name="LoadSeconds">Starting the engine, importing the organisation if the database lacks it, activating every node.</param>
/// <param name="Snapshot">The cycle snapshot alone: the first step of a resimulated impact.</param>
/// <param name="ImpactOneMove"><see cref="IScenarioGrain.GetImpactAsync"/>(resimulate: true) end to end through the grain
/// client; its GC columns are the whole silo's while it ran.</param>
/// <param name="EditOneMove">After the scenario's move is replaced, <see cref="IScenarioGrain.GetImpactAsync"/>() on the snapshot
/// the grain holds — what a planner waits for while editing: simulate, the alignment after, and the check whether the
/// live graph moved on (the cycle's structure version and the scores of the nodes the simulation read).</param>
/// <param name="StructuralMove">For comparison with an apply: one <see cref="ICycleGrain.MoveKeyResultAsync"/> (the cycle's
/// ordinary commit of a structural change) until it returns.</param>
/// <param name="Failures">Refused moves, applies that did not converge, scores or structure different from the simulation.</param>
public sealed record PlannerEngineResult(int Nodes, double LoadSeconds, SnapshotResult Snapshot, Timing ImpactOneMove, Timing ImpactTenMoves,
    Timing EditOneMove, Timing EditTenMoves,
    LatencySummary StructuralMove, ImmutableArray<ApplyFigure> Apply, ImmutableArray<string> Failures);

/// <summary>
/// Figure 10 through the engine: a scenario's impact as a planner asks for it, and apply → the live graph showing
/// what was simulated. Nothing else runs on the engine meanwhile, so after an apply every objective of the impact must
/// reach its simulated score and every other node must keep its score; both are checked, and the structure too.
/// </summary>
public static class PlannerEngineFigures
{
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(60);

    public static async Task<PlannerEngineResult> RunAsync(string connectionString, SyntheticOrg org, TimeProvider clock, BenchOptions options,
        Action<string> say)
    {
        var started = Stopwatch.GetTimestamp();
        await using var engine = await EngineHost.StartAsync(connectionString, clock);
        var client = engine.Client;
        await LargeOrgFigures.EnsureImportedAsync(client, org);
        // As in figure 5: a server that has been running has its nodes active, and the snapshot then reads their scores.
        await EngineImport.ActivateAllAsync(client, org);
        var loadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        say($"Planner: {org.NodeCount:N0} nodes loaded and active in {loadSeconds:F0} s; timing impacts.");

        var snapshot = await LargeOrgFigures.SnapshotAsync(client, org.Cycle.Id, org.NodeCount);
        var moves = new PlannerMoves(org);
        var rng = new Random(options.Seed + 10);
        var failures = new List<string>();
        var runs = options.Quick ? 2 : 20;
        var warmups = options.Quick ? 1 : 2;
        var (impactOne, editOne) = await ImpactAsync(client, org, moves, 1, warmups, runs, rng, failures);
        var (impactTen, editTen) = await ImpactAsync(client, org, moves, 10, warmups, runs, rng, failures);
        say($"Planner impact through the engine: 1 move {impactOne}; 10 moves {impactTen}; after an edit: 1 move {editOne}; 10 moves {editTen}.");

        var applies = options.Quick ? 1 : 5;
        var structural = await StructuralMovesAsync(client, org, moves, applies, rng);
        var observer = new ConvergenceObserver();
        var reference = client.CreateObjectReference<IChangeFeedObserver>(observer);
        var registry = client.GetGrain<IChangeFeedRegistryGrain>(0);
        await registry.SubscribeAsync(reference);
        await Task.Delay(1500); // the silo re-reads its observers every second
        var apply = ImmutableArray.CreateBuilder<ApplyFigure>();
        try
        {
            foreach (var count in new[] { 1, 10 })
            {
                var figure = await ApplyAsync(client, org, moves, count, applies, rng, observer, failures);
                say($"Planner apply, {count} move(s): call {figure.ApplyCall}; to converged {figure.ApplyToConverged}.");
                apply.Add(figure);
            }
        }
        finally
        {
            await registry.UnsubscribeAsync(reference);
            GC.KeepAlive(observer); // the client holds observers weakly: keep ours alive until unsubscribed
        }
        return new PlannerEngineResult(org.NodeCount, loadSeconds, snapshot, impactOne, impactTen, editOne, editTen, structural, apply.ToImmutable(), [.. failures]);
    }

    /// <summary>
    /// One scenario whose moves are replaced before each timed impact, as a planner edits a scenario and refreshes it;
    /// resimulate takes a fresh snapshot each time, as the refresh button does.
    /// </summary>
    private static async Task<(Timing Resimulated, Timing Edited)> ImpactAsync(IClusterClient client, SyntheticOrg org, PlannerMoves moves,
        int count, int warmups, int runs, Random rng, List<string> failures)
    {
        var scenario = client.GetGrain<IScenarioGrain>($"bench-impact-{count}");
        await scenario.CreateAsync(new ScenarioDraft($"Bench: impact of {count} move(s)", org.CompanyId, org.Cycle.Id, "bench"));
        var resimulated = new Series();
        var edited = new Series();
        for (int i = -warmups; i < runs; i++) // untimed first: the scenario grain's activation and JIT
        {
            await ReplaceMovesAsync(scenario, moves.Set(count, rng, first: i));
            var impact = await resimulated.TimeAsync(i >= 0, () => scenario.GetImpactAsync(resimulate: true));
            RequireAllApplied(impact, count, failures);
            await ReplaceMovesAsync(scenario, moves.Set(count, rng, first: i + 1));
            impact = await edited.TimeAsync(i >= 0, () => scenario.GetImpactAsync());
            RequireAllApplied(impact, count, failures);
            if (impact.LiveChanged) failures.Add("nothing ran on the engine, yet the scenario said the live graph moved on");
        }
        await scenario.DiscardAsync();
        return (resimulated.Timing, edited.Timing);
    }

    private static async Task ReplaceMovesAsync(IScenarioGrain scenario, IEnumerable<PlanMove> moves)
    {
        var view = await scenario.GetAsync();
        for (int m = view.Moves.Length - 1; m >= 0; m--) await scenario.RemoveMoveAsync(m);
        foreach (var move in moves) await scenario.AddMoveAsync(move);
    }

    /// <summary>Timed calls and the process's GC counters around them.</summary>
    private sealed class Series
    {
        private readonly Latency _latency = new();
        private Timing.GcCounters _gc;

        public Timing Timing => _gc.Per(_latency.Summary());

        public async Task<T> TimeAsync<T>(bool record, Func<Task<T>> call)
        {
            var counters = Timing.GcCounters.Now();
            var t0 = Stopwatch.GetTimestamp();
            var result = await call();
            if (record)
            {
                _latency.Record(Stopwatch.GetElapsedTime(t0));
                _gc += Timing.GcCounters.Now() - counters;
            }
            return result;
        }
    }

    /// <summary>Key results handed to another team one at a time through the cycle, as the editor does it; then quiet again.</summary>
    private static async Task<LatencySummary> StructuralMovesAsync(IClusterClient client, SyntheticOrg org, PlannerMoves moves, int count, Random rng)
    {
        var cycle = client.GetGrain<ICycleGrain>(org.Cycle.Id);
        var latency = new Latency();
        for (int i = 0; i < count; i++)
        {
            var move = moves.KeyResultToOtherTeam(rng);
            var t0 = Stopwatch.GetTimestamp();
            await cycle.MoveKeyResultAsync(move.KeyResultId, move.ObjectiveId);
            latency.Record(Stopwatch.GetElapsedTime(t0));
        }
        // The applies below compare with the live graph before them: let these moves' scores settle first.
        await Verification.WaitQuietAsync(client, org.Cycle.Id);
        return latency.Summary();
    }

    /// <summary>
    /// Applies <paramref name="applies"/> scenarios of <paramref name="count"/> moves, one after another, each timed from
    /// the call to the moment the live scores equal the simulated ones, then verified on a quiet snapshot.
    /// </summary>
    private static async Task<ApplyFigure> ApplyAsync(IClusterClient client, SyntheticOrg org, PlannerMoves moves, int count, int applies,
        Random rng, ConvergenceObserver observer, List<string> failures)
    {
        var cycle = client.GetGrain<ICycleGrain>(org.Cycle.Id);
        var callLatency = new Latency();
        var convergedLatency = new Latency();
        int impacted = 0;
        double maxDifference = 0;
        for (int a = 0; a < applies; a++)
        {
            var scenario = client.GetGrain<IScenarioGrain>($"bench-apply-{count}-{a}");
            await scenario.CreateAsync(new ScenarioDraft($"Bench: apply {count} move(s), #{a + 1}", org.CompanyId, org.Cycle.Id, "bench"));
            var set = moves.Set(count, rng, first: a);
            foreach (var move in set) await scenario.AddMoveAsync(move);
            var impact = await scenario.GetImpactAsync(resimulate: true);
            if (!RequireAllApplied(impact, count, failures)) continue;
            // Nothing else runs, so this is the live graph the apply finds (and the one the impact was simulated on).
            var before = await cycle.GetSnapshotAsync();
            var expected = impact.Simulation.Impacts.ToDictionary(i => i.NodeId, i => i.After);
            failures.AddRange(ReferenceCheck.Differences(before, impact.Simulation.Impacts.ToDictionary(i => i.NodeId, i => i.Before))
                .Take(5).Select(d => $"apply {count}#{a}: simulated 'before' is not the live score: {d}"));

            var converged = observer.Track(expected, before.Scores);
            var t0 = Stopwatch.GetTimestamp();
            await scenario.ApplyAsync();
            callLatency.Record(Stopwatch.GetElapsedTime(t0));
            if (await Task.WhenAny(converged, Task.Delay(ConvergeTimeout)) != converged)
            {
                var missing = observer.Unmatched();
                failures.Add($"apply {count}#{a}: {missing.Count} of {expected.Count} objectives did not reach their simulated score within " +
                             $"{ConvergeTimeout.TotalSeconds:F0} s (e.g. {string.Join(", ", missing.Take(3))}).");
            }
            // Quiet first: a score that passed through its simulated value and moved on would show here.
            var after = await Verification.WaitQuietAsync(client, org.Cycle.Id);
            convergedLatency.Record(Stopwatch.GetElapsedTime(t0, Math.Max(t0, observer.LastConvergedAt)));
            failures.AddRange(Verify(before, after, expected, set).Take(5).Select(d => $"apply {count}#{a}: {d}"));
            impacted += expected.Count;
            foreach (var (id, score) in expected)
                if (after.Scores.TryGetValue(id, out var live)) maxDifference = Math.Max(maxDifference, Math.Abs(live.Progress - score.Progress));
        }
        return new ApplyFigure(count, applies, callLatency.Summary(), convergedLatency.Summary(), impacted, maxDifference);
    }

    private static bool RequireAllApplied(ScenarioImpact impact, int count, List<string> failures)
    {
        if (impact.Simulation.Rejected.IsEmpty && impact.Simulation.AppliedMoves == count) return true;
        var r = impact.Simulation.Rejected.FirstOrDefault();
        failures.Add($"{impact.Scenario.Id}: {impact.Simulation.AppliedMoves} of {count} moves simulated" +
                     (r is null ? "." : $"; refused {r.Move} ({r.Field}: {r.Reason})."));
        return false;
    }

    /// <summary>
    /// After an apply on an otherwise idle engine: the impact's objectives at their simulated scores, every other node
    /// at its score from before, and the edges exactly those of the moves applied to the graph as it was.
    /// </summary>
    private static List<string> Verify(CycleSnapshot before, CycleSnapshot after, Dictionary<string, NodeScore> expected,
        ImmutableArray<PlanMove> moves)
    {
        var reference = new Dictionary<string, NodeScore>(before.Scores);
        foreach (var (id, score) in expected) reference[id] = score;
        // ReferenceCheck's "reference" is here the simulation for the impact's objectives and the score before for the rest.
        var diffs = ReferenceCheck.Differences(after, reference).Select(d => $"not as simulated: {d}").ToList();
        if (after.Scores.Count != before.Scores.Count) diffs.Add($"{after.Scores.Count:N0} scores after, {before.Scores.Count:N0} before");
        var graph = new PlanGraph(before);
        foreach (var m in moves) graph.Apply(m);
        if (!graph.Edges.ToHashSet().SetEquals(after.Edges)) diffs.Add("the live edges are not those of the moves applied to the graph before");
        return diffs;
    }

    /// <summary>
    /// Follows the live scores of the objectives of one impact on the change feed and notes when they all equal their
    /// simulated scores. Batches arrive one at a time and per node in version order, so the latest version wins.
    /// </summary>
    private sealed class ConvergenceObserver : IChangeFeedObserver
    {
        private readonly Lock _gate = new();
        private Dictionary<string, NodeScore> _expected = [];
        private Dictionary<string, NodeScore> _live = [];
        private HashSet<string> _unmatched = [];
        private TaskCompletionSource _converged = new();

        private long _lastConvergedAt;

        /// <summary>Stopwatch timestamp of the last moment the last tracked objective reached its simulated score (0: never had to).</summary>
        public long LastConvergedAt { get { lock (_gate) return _lastConvergedAt; } }

        /// <summary>Starts following <paramref name="expected"/>'s nodes from their <paramref name="current"/> scores.</summary>
        public Task Track(Dictionary<string, NodeScore> expected, IReadOnlyDictionary<string, NodeScore> current)
        {
            lock (_gate)
            {
                _expected = expected;
                _live = expected.Keys.ToDictionary(id => id, id => current[id]);
                _unmatched = [.. expected.Keys.Where(id => !ReferenceCheck.Same(current[id], expected[id]))];
                _converged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _lastConvergedAt = 0;
                if (_unmatched.Count == 0) _converged.SetResult();
                return _converged.Task;
            }
        }

        public List<string> Unmatched()
        {
            lock (_gate) return [.. _unmatched.Take(10).Select(id => $"{id}: live {ReferenceCheck.Describe(_live[id])} vs simulated {ReferenceCheck.Describe(_expected[id])}")];
        }

        public Task OnChangesAsync(ImmutableArray<NodeChange> changes)
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                var wasUnmatched = _unmatched.Count;
                foreach (var c in changes)
                {
                    if (c.Score is not { } score || !_expected.TryGetValue(c.NodeId, out var expected)) continue;
                    if (_live[c.NodeId].Version > score.Version) continue;
                    _live[c.NodeId] = score;
                    if (ReferenceCheck.Same(score, expected)) _unmatched.Remove(c.NodeId);
                    else _unmatched.Add(c.NodeId);
                }
                if (_unmatched.Count == 0 && wasUnmatched > 0)
                {
                    _lastConvergedAt = now;
                    _converged.TrySetResult();
                }
            }
            return Task.CompletedTask;
        }
    }
}
