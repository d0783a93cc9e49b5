using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OkrGrid.Silo.Hosting;
using OkrGrid.Workload.Hosting;

namespace OkrGrid.Bench;

/// <param name="SiloCores">Average cores the silo processes kept busy together during the run.</param>
/// <param name="BenchCores">Average cores this process (the grain client and its load) kept busy.</param>
/// <param name="LoadAverage">The machine's 1-minute load average at the end of the run (/proc/loadavg): other work on the same cores.</param>
public sealed record ClusterThroughput(ThroughputResult Run, double SiloCores, double BenchCores, double LoadAverage);

/// <summary>Traced check-ins whose path to the company objective crossed between silos this many times.</summary>
public sealed record CrossingGroup(int CrossSiloHops, LatencySummary AckToRoot);

/// <param name="Traced">Acknowledged traced check-ins under a company objective (the ones that can be timed).</param>
/// <param name="Untimeable">Acknowledged traced check-ins on a key result with no company objective above it.</param>
/// <param name="Lost">Timeable traces that never reached the observer.</param>
/// <param name="AverageHops">Roll-up hops (child → parent grain calls) from the key result to its company objective, on average.</param>
/// <param name="UnknownPlacement">Traces with a node on the path whose silo the management grain did not list.</param>
/// <param name="CrossedShare">Of the roll-up hops of the placed traces' paths, the share that went from one silo to another.</param>
public sealed record ClusterPropagationResult(double RatePerSecond, long Sent, long Acknowledged, long Errors,
    LatencySummary Acknowledgement, LatencySummary AckToRoot, LatencySummary DueToRoot, long Traced, long Untimeable, long Lost,
    double AverageHops, ImmutableArray<CrossingGroup> ByCrossings, long UnknownPlacement, double CrossedShare);

/// <summary>One cluster size: silo processes up, the organisation imported, the closed loops, propagation, verification.</summary>
/// <param name="StartSeconds">Until every silo was active in the membership table (one after another) and the client connected.</param>
/// <param name="ActivationsPerSilo">The organisation's node activations on each silo (after the closed loops).</param>
/// <param name="LostAcknowledged">Acknowledged check-ins missing from the journal (or stored with another value).</param>
/// <param name="SilosVotedDead">Silos the cluster declared dead during the run (none should be: nothing was killed).</param>
public sealed record ClusterRun(int Silos, double StartSeconds, double ImportSeconds, ImmutableArray<ClusterThroughput> Throughput,
    ClusterPropagationResult? Propagation, ImmutableArray<int> ActivationsPerSilo, long Acknowledged, long LostAcknowledged,
    int Differences, ImmutableArray<string> FirstDifferences, int StatusesWithinClockWindow, int SilosVotedDead, ImmutableArray<string> Failures)
{
    public bool Passed => Failures.IsEmpty && LostAcknowledged == 0 && Differences == 0 && SilosVotedDead == 0;
    public ThroughputResult? Best => Throughput.IsDefaultOrEmpty ? null : Throughput.MaxBy(t => t.Run.PerSecond)!.Run;
}

/// <summary>Figure 12's result: the same workload on a cluster of one silo process and of three.</summary>
public sealed record ClusterResult(int Nodes, ImmutableArray<ClusterRun> Runs)
{
    public bool Passed => Runs.Length > 0 && Runs.All(r => r.Passed);
    public ClusterRun? Of(int silos) => Runs.FirstOrDefault(r => r.Silos == silos);
}

/// <summary>
/// Figure 12: a cluster of standalone silo processes (silohost/) on PostgreSQL membership, driven through a grain client
/// in this process as the web hosts in client mode drive it. For 1 and then 3 silos, each on a fresh database: import the
/// organisation, activate every node, run figure 1's closed loop of durable check-ins (acknowledged = committed to the
/// journal, with its side traffic of KPI measurements and moves), then an open loop at a fixed rate with a change-feed
/// observer on the client timing each traced check-in to its company objective. Then every acknowledged check-in must be
/// in the journal and every node equal the pure reference. The silos run on the system clock (no pinned one), so
/// statuses are checked within the run's time window as for the web host (figures 8, 9).
/// </summary>
public static class ClusterFigures
{
    public static readonly int[] SiloCounts = [1, 3];

    public static async Task<ClusterResult> RunAsync(SyntheticOrg org, BenchOptions options, DateTimeOffset now, Action<string> say)
    {
        var runs = ImmutableArray.CreateBuilder<ClusterRun>();
        // One rate for every cluster size: the option's, but at most half of what the first (1 silo) sustained closed loop,
        // so that propagation is measured below saturation rather than as a queue.
        double? rate = null;
        foreach (var silos in SiloCounts)
        {
            var run = await RunClusterAsync(silos, org, options, now, say, r => rate ??= Math.Max(50, Math.Min(options.ClusterRate, r / 2)));
            runs.Add(run);
            foreach (var failure in run.Failures) say($"FAILED: cluster of {silos}: {failure}");
        }
        return new ClusterResult(org.NodeCount, runs.ToImmutable());
    }

    /// <param name="rateFor">The open loop's rate given this cluster's best closed-loop check-ins/s (the first cluster's decides).</param>
    private static async Task<ClusterRun> RunClusterAsync(int siloCount, SyntheticOrg org, BenchOptions options, DateTimeOffset now, Action<string> say,
        Func<double, double> rateFor)
    {
        var clusterId = $"okrgrid-bench-{siloCount}";
        var db = await BenchDatabase.CreateAsync($"cluster{siloCount}");
        var silos = new List<SiloProcess>();
        // Should this process end without its finally blocks (an unhandled exception on another thread, a SIGTERM), the
        // silo processes must not outlive it.
        void KillSilos(object? sender, EventArgs e)
        {
            foreach (var s in silos.ToList())
                try { if (!s.HasExited) Process.GetProcessById(s.ProcessId).Kill(); } catch (Exception) { }
        }
        AppDomain.CurrentDomain.ProcessExit += KillSilos;
        IHost? clientHost = null;
        var failures = new List<string>();
        var throughput = ImmutableArray.CreateBuilder<ClusterThroughput>();
        ClusterPropagationResult? propagation = null;
        ImmutableArray<int> perSilo = [];
        double startSeconds = 0, importSeconds = 0;
        long lost = 0;
        List<string> differences = [];
        var widened = 0;
        var votedDead = 0;
        var ledger = new Ledger(BaselineFigures.BaseTime(org, now));
        ledger.KeepEveryCheckIn();
        try
        {
            // The first migrates the database (and writes the cluster's version row); the others then start side by side. Each
            // start waits until the membership table lists that silo active.
            var started = Stopwatch.GetTimestamp();
            silos.Add(await SiloProcess.StartAsync(db, "bench-silo-0", clusterId));
            var others = Enumerable.Range(1, siloCount - 1).Select(i => SiloProcess.StartAsync(db, $"bench-silo-{i}", clusterId)).ToList();
            try { await Task.WhenAll(others); }
            finally { silos.AddRange(others.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result)); }
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            // Orleans' own response timeout (30 s), as the in-process figures have, not the web host's 10 s (which exists to
            // answer 503 soon): on this shared machine activating 2,048 nodes at a time on 3 silos once took longer than 10 s.
            builder.UseOrleansClient(c => c.UseOkrGridClustering(
                new ClusterSettings { Mode = ClusterMode.Client, ClusterId = clusterId, ResponseTimeout = TimeSpan.FromSeconds(30) }, db));
            clientHost = builder.Build();
            await clientHost.StartAsync();
            var client = clientHost.Services.GetRequiredService<IClusterClient>();
            startSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            say($"Cluster of {siloCount} silo process{(siloCount == 1 ? "" : "es")} up in {startSeconds:F1} s; importing {org.NodeCount:N0} nodes.");

            // The silos run on the system clock: a status may be that of any moment from here on.
            var clockFrom = DateTimeOffset.UtcNow;
            started = Stopwatch.GetTimestamp();
            await EngineImport.ImportAsync(client, org);
            await EngineImport.ActivateAllAsync(client, org);
            importSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

            var workload = new CheckInWorkload(org, skewed: false, options.Seed);
            var figures = new EngineFigures(client, org, workload, ledger, options);
            await figures.ClosedLoopAsync(options.ClusterConcurrency[0], options.Warmup);
            foreach (var c in options.ClusterConcurrency)
            {
                var cpu = MeasureCpu(silos);
                var t = await figures.ClosedLoopAsync(c, options.Duration);
                var (siloCores, benchCores) = cpu();
                var load = LoadAverage();
                throughput.Add(new ClusterThroughput(t, siloCores, benchCores, load));
                say($"Cluster of {siloCount}, closed loop, {c} in flight: {t.PerSecond:N0} check-ins/s (ack {t.Acknowledgement}; silos {siloCores:F2} cores, " +
                    $"this process {benchCores:F2}; load average {load:F1}).");
            }

            // Where the nodes live, and the structure the open loop runs on (no moves during it).
            var placement = await NodePlacementAsync(client);
            perSilo = [.. silos.Select(s => placement.Values.Count(a => a.Endpoint.Port == s.SiloPort))];
            var structure = await client.GetGrain<ICycleGrain>(org.Cycle.Id).GetSnapshotAsync();
            var parentOf = structure.Edges.GroupBy(e => e.ChildId).ToDictionary(g => g.Key, g => g.First().ParentId);
            var rate = rateFor(throughput.Max(t => t.Run.PerSecond));
            propagation = await PropagationAsync(client, org, workload, ledger, options, rate, parentOf, placement);
            say($"Cluster of {siloCount}, open loop at {rate:N0}/s: acknowledgement → company objective at the client's observer " +
                $"{propagation.AckToRoot} ({propagation.Traced:N0} traced, {propagation.Lost} lost, {propagation.Errors} errors; " +
                $"cross-silo hops: {string.Join(", ", propagation.ByCrossings.Select(g => $"{g.CrossSiloHops}: {g.AckToRoot.Count}"))}).");

            var settled = await Verification.WaitQuietAsync(client, org.Cycle.Id);
            (differences, widened) = Verification.DifferencesWithinClock(settled, ledger, clockFrom, DateTimeOffset.UtcNow);
            lost = await LostAcknowledgedAsync(db, ledger.Every);
            votedDead = (int)await ScalarAsync(db, "select count(*) from orleansmembershiptable where deployment_id = @c and status = 6", clusterId);
            foreach (var s in silos.Where(s => s.HasExited)) failures.Add($"silo {s.Name} exited during the run:\n{Tail(s.Output)}");
            say(differences.Count == 0 && lost == 0 && votedDead == 0
                ? $"Verified: the cluster's {settled.Scores.Count:N0} nodes equal the reference ({ledger.Acknowledged:N0} check-ins, each in the journal)."
                : $"FAILED: {differences.Count} differences, {lost} acknowledged check-ins not in the journal, {votedDead} silo(s) voted dead.");
        }
        catch (Exception e)
        {
            failures.Add($"{e.GetType().Name}: {e.Message}");
            foreach (var s in silos) failures.Add($"silo {s.Name}{(s.HasExited ? " (exited)" : "")}:\n{Tail(s.Output)}");
        }
        finally
        {
            if (clientHost is not null)
            {
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await clientHost.StopAsync(stopping.Token); } catch (Exception) { }
                clientHost.Dispose();
            }
            foreach (var s in silos) await s.DisposeAsync();
            AppDomain.CurrentDomain.ProcessExit -= KillSilos;
            try { await BenchDatabase.DropAsync(db); } catch (Exception e) { Console.Error.WriteLine($"Could not drop {db}: {e.Message}"); }
        }
        return new ClusterRun(siloCount, startSeconds, importSeconds, throughput.ToImmutable(), propagation, perSilo, ledger.Acknowledged, lost,
            differences.Count, [.. differences.Take(10)], widened, votedDead, [.. failures]);
    }

    /// <summary>
    /// Open loop at a fixed rate, as figure 2 (sent on schedule whether or not earlier ones returned; one in ten traced),
    /// with the observer on the client, renewed as a web host renews it. For each traced check-in: its acknowledgement →
    /// the first publication of its company objective listing it, at the observer; and how many of the roll-up hops on
    /// its way up (key result → objective → … → company objective) went from one silo to another.
    /// </summary>
    private static async Task<ClusterPropagationResult> PropagationAsync(IClusterClient client, SyntheticOrg org, CheckInWorkload workload,
        Ledger ledger, BenchOptions options, double rate, IReadOnlyDictionary<string, string> parentOf, IReadOnlyDictionary<string, SiloAddress> siloOf)
    {
        var roots = org.Roots.Select(r => r.Id).ToHashSet();
        var reachedRoot = new ConcurrentDictionary<string, long>();
        var observer = new RootTraceObserver(roots, reachedRoot);
        var reference = client.CreateObjectReference<IChangeFeedObserver>(observer);
        var registry = client.GetGrain<IChangeFeedRegistryGrain>(0);
        await registry.SubscribeAsync(reference);
        using var renewing = new CancellationTokenSource();
        var renewal = Task.Run(async () =>
        {
            while (!renewing.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), renewing.Token);
                    await registry.SubscribeAsync(reference);
                }
                catch (OperationCanceledException) { break; }
                catch (Exception) { } // tried again at the next renewal
            }
        });
        await Task.Delay(1500); // every silo re-reads the registry each second

        var traces = new ConcurrentDictionary<string, (string KeyResult, long Due, long Acked)>();
        var ackLatency = new Latency();
        long sent = 0, acknowledged = 0, errors = 0;
        var inFlight = new List<Task>();
        var rng = new Random(options.Seed + 12);
        var start = Stopwatch.GetTimestamp();
        var total = (long)(rate * options.Duration.TotalSeconds);
        var interval = Stopwatch.Frequency / rate;
        for (long i = 0; i < total; i++)
        {
            var due = start + (long)(i * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                var wait = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (wait > 2) await Task.Delay((int)(wait - 1)); else Thread.SpinWait(50);
            }
            var plan = workload.Next(rng);
            var (stamp, at) = ledger.NextStamp();
            var trace = i % 10 == 0 ? $"t{stamp}" : null;
            sent++;
            inFlight.Add(SendAsync(plan, stamp, at, trace, due));
        }
        await Task.WhenAll(inFlight);

        var timeable = traces.Where(t => roots.Contains(PathOf(t.Value.KeyResult)[^1])).ToList();
        // The last traces reach the top (a loaded machine gets up to ten seconds).
        for (var waited = 0; waited < 100 && timeable.Any(t => !reachedRoot.ContainsKey(t.Key)); waited++) await Task.Delay(100);
        await renewing.CancelAsync();
        await renewal;
        await registry.UnsubscribeAsync(reference);
        GC.KeepAlive(observer); // the client holds observers weakly

        var ackToRoot = new Latency();
        var dueToRoot = new Latency();
        var byCrossings = new SortedDictionary<int, Latency>();
        long lostTraces = 0, unknown = 0, hops = 0, placedHops = 0, crossedHops = 0;
        foreach (var (trace, (kr, due, ackAt)) in timeable)
        {
            if (!reachedRoot.TryGetValue(trace, out var rootAt)) { lostTraces++; continue; }
            // The observer may hear of the company objective before the client hears the acknowledgement: 0 then.
            var fromAck = Stopwatch.GetElapsedTime(ackAt, Math.Max(ackAt, rootAt));
            ackToRoot.Record(fromAck);
            dueToRoot.Record(Stopwatch.GetElapsedTime(due, rootAt));
            var path = PathOf(kr);
            hops += path.Count - 1;
            if (path.Any(n => !siloOf.ContainsKey(n))) { unknown++; continue; }
            var crossings = path.Zip(path.Skip(1)).Count(p => !siloOf[p.First].Equals(siloOf[p.Second]));
            placedHops += path.Count - 1;
            crossedHops += crossings;
            (byCrossings.TryGetValue(crossings, out var l) ? l : byCrossings[crossings] = new Latency()).Record(fromAck);
        }
        var timed = timeable.Count - lostTraces;
        return new ClusterPropagationResult(rate, sent, acknowledged, errors, ackLatency.Summary(), ackToRoot.Summary(), dueToRoot.Summary(),
            timeable.Count, traces.Count - timeable.Count, lostTraces, timed == 0 ? 0 : (double)hops / timed,
            [.. byCrossings.Select(g => new CrossingGroup(g.Key, g.Value.Summary()))], unknown, placedHops == 0 ? 0 : (double)crossedHops / placedHops);

        List<string> PathOf(string id)
        {
            var path = new List<string> { id };
            while (parentOf.TryGetValue(id, out var parent) && !path.Contains(parent)) path.Add(id = parent);
            return path;
        }

        async Task SendAsync(PlannedCheckIn plan, long stamp, DateTimeOffset at, string? trace, long scheduled)
        {
            try
            {
                var r = await client.GetGrain<IKeyResultGrain>(plan.KeyResult.Id)
                    .CheckInAsync(new CheckIn($"b{stamp}", plan.Value, plan.Confidence, "", "bench", at, trace));
                var now = Stopwatch.GetTimestamp();
                ackLatency.Record(Stopwatch.GetElapsedTime(scheduled, now));
                if (r.Applied) ledger.CheckInAcknowledged(plan.KeyResult.Id, stamp, plan.Value, plan.Confidence);
                if (trace is not null) traces[trace] = (plan.KeyResult.Id, scheduled, now);
                Interlocked.Increment(ref acknowledged);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }

    /// <summary>Notes when a traced check-in first shows up in a company objective's publication.</summary>
    private sealed class RootTraceObserver(HashSet<string> roots, ConcurrentDictionary<string, long> reachedRoot) : IChangeFeedObserver
    {
        public Task OnChangesAsync(ImmutableArray<NodeChange> changes)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var c in changes)
                if (c.Score?.Traces is { } traces && roots.Contains(c.NodeId))
                    foreach (var t in traces) reachedRoot.TryAdd(t, now);
            return Task.CompletedTask;
        }
    }

    /// <summary>The silo of every objective and key result activation (the management grain's view of the cluster).</summary>
    private static async Task<Dictionary<string, SiloAddress>> NodePlacementAsync(IClusterClient client)
    {
        var stats = await client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var placement = new Dictionary<string, SiloAddress>();
        foreach (var s in stats.Where(s => s.GrainType.Contains("KeyResultGrain", StringComparison.Ordinal)
                                           || s.GrainType.Contains("ObjectiveGrain", StringComparison.Ordinal)))
            placement.TryAdd(s.GrainId.Key.ToString()!, s.SiloAddress);
        return placement;
    }

    /// <summary>Cores the silo processes (together) and this process keep busy until the returned function is called.</summary>
    private static Func<(double Silos, double Bench)> MeasureCpu(IReadOnlyList<SiloProcess> silos)
    {
        static TimeSpan Cpu(int pid) { using var p = Process.GetProcessById(pid); return p.TotalProcessorTime; }
        var before = silos.Select(s => Cpu(s.ProcessId)).ToList();
        var self = CpuUse.MeasureSelf();
        var started = Stopwatch.GetTimestamp();
        return () =>
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var used = silos.Select((s, i) => (Cpu(s.ProcessId) - before[i]).TotalSeconds).Sum();
            return (used / seconds, self());
        };
    }

    /// <summary>The 1-minute load average (0 where there is no /proc/loadavg).</summary>
    private static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception) { return 0; }
    }

    private static async Task<long> LostAcknowledgedAsync(string connectionString, IReadOnlyCollection<(string KeyResult, long Stamp, double Value)> acknowledged)
    {
        var stored = new Dictionary<(string, string), double>();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select node_id, entry_id, value from okr_journal", conn);
        cmd.CommandTimeout = 600;
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) stored[(reader.GetString(0), reader.GetString(1))] = reader.GetDouble(2);
        return acknowledged.LongCount(a => !stored.TryGetValue((a.KeyResult, $"b{a.Stamp}"), out var v) || v != a.Value);
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql, string clusterId)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("c", clusterId);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Tail(string output) => string.Join("\n", output.Split('\n').Where(l => l.Length > 0).TakeLast(15)
        .Select(l => l.Length > 300 ? l[..300] : l));
}
