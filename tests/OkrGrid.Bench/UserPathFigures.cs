using System.Globalization;
using Npgsql;

namespace OkrGrid.Bench;

/// <param name="Bearer">Whether each request carried a bearer token (false: the host's anonymous access, the baseline).</param>
public sealed record RestThroughputResult(int Concurrency, long Acknowledged, double PerSecond, LatencySummary Acknowledgement, CpuUse Cpu, bool Bearer = true);

/// <param name="TimeableAcknowledged">Acknowledged check-ins whose key result has a company objective above it (only those can be timed).</param>
/// <param name="AckToClient">Over all (trace, client) pairs: the client's receipt − the moment the client that posted got its 201.</param>
/// <param name="DueToClient">The same from the moment the check-in was due to be sent.</param>
/// <param name="PairsMissing">(trace, client) pairs that never arrived.</param>
public sealed record HubLatencyResult(int Clients, double RatePerSecond, long Sent, long Acknowledged, long TimeableAcknowledged,
    LatencySummary Acknowledgement, LatencySummary AckToClient, LatencySummary DueToClient,
    long TracesAtAllClients, long PairsMissing, long Messages, int Disconnected, CpuUse Cpu);

/// <summary>Figures 8 and 9 and their checks: the web host's engine against the reference, the journal against the 201s.</summary>
public sealed record UserPathResult(
    int Nodes,
    ImmutableArray<RestThroughputResult> Rest,
    ImmutableArray<RestThroughputResult> TokenComparison,
    HubLatencyResult Hub,
    long Acknowledged,
    ImmutableDictionary<string, long> Errors,
    long LostAcknowledged,
    int Differences,
    ImmutableArray<string> FirstDifferences,
    int StatusesWithinClockWindow,
    int StaleClientViews)
{
    public long HttpErrors => Errors.Values.Sum();

    /// <summary>Check-ins/s with a bearer token over the same without one, at the same concurrency, alternating runs.</summary>
    public double? BearerRatio => TokenComparison.IsDefaultOrEmpty ? null
        : TokenComparison.Where(t => t.Bearer).Average(t => t.PerSecond) / TokenComparison.Where(t => !t.Bearer).Average(t => t.PerSecond);
    public bool Passed => HttpErrors == 0 && LostAcknowledged == 0 && Differences == 0 && StaleClientViews == 0;
}

/// <summary>
/// Figures 8 and 9, the paths users see: check-ins per second through the REST API of the real web host (a separate
/// process, HTTP/1.1 keep-alive, closed loop), and check-in → SignalR client latency for many dashboards on the
/// company scorecard (open loop at half that rate). Then the host's engine must equal the pure reference of every
/// 201 and the journal must hold each of them.
/// </summary>
public sealed class UserPathFigures
{
    /// <summary>Stop waiting for pushes when none has arrived for this long, or after <see cref="ArrivalLimit"/> in all.</summary>
    private static readonly TimeSpan ArrivalStall = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ArrivalLimit = TimeSpan.FromSeconds(60);
    private readonly SyntheticOrg _org;
    private readonly CheckInWorkload _workload;
    private readonly BenchOptions _options;
    private readonly RestCheckIns _rest;
    private readonly int _hostProcessId;

    private UserPathFigures(SyntheticOrg org, BenchOptions options, RestCheckIns rest, int hostProcessId)
    {
        _org = org;
        _hostProcessId = hostProcessId;
        _options = options;
        _rest = rest;
        _workload = new CheckInWorkload(org, skewed: false, options.Seed);
    }

    public static async Task<UserPathResult> RunAsync(string connectionString, SyntheticOrg generated, BenchOptions options,
        DateTimeOffset now, Action<string> say)
    {
        var org = UserPathHost.AsHostCompany(generated);
        var ledger = new Ledger(BaselineFigures.BaseTime(org, now));
        // The host runs on the system clock (it has no pinned one): statuses may be those of any moment from here on.
        var clockFrom = DateTimeOffset.UtcNow;
        await using var host = await UserPathHost.StartAsync(connectionString);
        say($"Web host up at {host.Web.BaseAddress}; importing {org.NodeCount:N0} nodes through its gateway.");
        await EngineImport.ImportAsync(host.Client, org);
        await EngineImport.ActivateAllAsync(host.Client, org);

        // The check-ins carry a service token with the check-in scope, as an integration's would.
        using var rest = new RestCheckIns(host.Web.BaseAddress, org, ledger, maxConnections: Math.Max(256, options.RestConcurrency.Max()),
            await host.CheckInTokenAsync());
        var figures = new UserPathFigures(org, options, rest, host.Web.ProcessId);
        say("REST warm-up.");
        await figures.ClosedLoopAsync(options.RestConcurrency.Max(), options.Warmup);
        var throughput = ImmutableArray.CreateBuilder<RestThroughputResult>();
        foreach (var c in options.RestConcurrency)
        {
            var t = await figures.ClosedLoopAsync(c, options.Duration);
            say($"REST, {c} clients: {t.PerSecond:N0} check-ins/s ({rest.ErrorCount} errors so far).");
            throughput.Add(t);
        }
        // What the token costs: the same load without it (the host lets anonymous requests in for this run only), in
        // alternating runs so that drift of the machine falls on both alike.
        var comparison = ImmutableArray.CreateBuilder<RestThroughputResult>();
        var most = options.RestConcurrency.Max();
        for (var round = 0; round < 2; round++)
            foreach (var bearer in new[] { false, true })
            {
                rest.WithToken = bearer;
                var t = await figures.ClosedLoopAsync(most, options.Duration);
                comparison.Add(t with { Bearer = bearer });
                say($"REST, {most} clients, {(bearer ? "bearer token" : "no token")}: {t.PerSecond:N0} check-ins/s.");
            }
        rest.WithToken = true;

        var rate = Math.Max(50, throughput.Max(t => t.PerSecond) / 2);
        HubLatencyResult hub;
        int staleViews;
        CycleSnapshot settled;
        await using (var clients = await HubClients.ConnectAsync(host.Web.BaseAddress, host.Web.AdminToken, options.HubClients, org.Cycle.Id,
                         [.. org.Roots.Select(r => r.Id)], (int)Math.Ceiling(rate * options.Duration.TotalSeconds) + 1))
        {
            say($"{clients.Count} SignalR clients on the company scorecard; open loop at {rate:N0}/s.");
            hub = await figures.HubLatencyAsync(clients, rate, options.Duration);
            say($"Check-in → SignalR client: {hub.AckToClient} ({hub.TracesAtAllClients:N0} of {hub.TimeableAcknowledged:N0} traces at all clients).");

            settled = await Verification.WaitQuietAsync(host.Client, org.Cycle.Id);
            // What the dashboards show at rest must be what the engine holds (pushes trail by one push interval).
            staleViews = clients.StaleViews(settled.Scores);
            for (var waited = 0; staleViews > 0 && waited < 100; waited++)
            {
                await Task.Delay(100);
                staleViews = clients.StaleViews(settled.Scores);
            }
        }

        var (differences, widened) = Verification.DifferencesWithinClock(settled, ledger, clockFrom, DateTimeOffset.UtcNow);
        var lost = await LostAcknowledgedAsync(connectionString, rest.Acknowledged);
        say(differences.Count == 0 && lost == 0 && rest.ErrorCount == 0 && staleViews == 0
            ? $"Verified: the web host's {settled.Scores.Count:N0} nodes equal the reference ({ledger.Acknowledged:N0} REST check-ins, none lost, no HTTP errors)."
            : $"FAILED: {differences.Count} differences, {lost} acknowledged check-ins lost, {rest.ErrorCount} HTTP errors, {staleViews} stale client views.");
        return new UserPathResult(org.NodeCount, throughput.ToImmutable(), comparison.ToImmutable(), hub, ledger.Acknowledged, rest.Errors.ToImmutableDictionary(),
            lost, differences.Count, [.. differences.Take(10)], widened, staleViews);
    }

    /// <summary>Closed loop: <paramref name="concurrency"/> HTTP clients, each posting its next check-in when the last one answered.</summary>
    private async Task<RestThroughputResult> ClosedLoopAsync(int concurrency, TimeSpan duration)
    {
        var latency = new Latency();
        long acknowledged = 0;
        using var stop = new CancellationTokenSource(duration);
        var cpu = CpuUse.Measure(_hostProcessId);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var rng = new Random(_options.Seed * 7919 + concurrency * 1009 + w);
            while (!stop.IsCancellationRequested)
            {
                var t0 = Stopwatch.GetTimestamp();
                var outcome = await _rest.SendAsync(_workload.Next(rng));
                if (!outcome.Acknowledged) continue;
                latency.Record(Stopwatch.GetElapsedTime(t0, outcome.RespondedAt));
                Interlocked.Increment(ref acknowledged);
            }
        })));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new RestThroughputResult(concurrency, acknowledged, acknowledged / seconds, latency.Summary(), cpu());
    }

    /// <summary>
    /// Check-in → SignalR client latency: after a warm-up of the push path at the same rate (its traces are not
    /// counted), an open loop with every check-in traced; then wait for the stragglers and pair every acknowledged,
    /// timeable trace with every client's first receipt of it on a company objective.
    /// </summary>
    private async Task<HubLatencyResult> HubLatencyAsync(HubClients clients, double rate, TimeSpan duration)
    {
        await OpenLoopAsync(rate, _options.Warmup / 2, i => string.Create(CultureInfo.InvariantCulture, $"warm{i}"));
        var run = await OpenLoopAsync(rate, duration, HubClients.TraceId);

        var timeable = TimeableKeyResults(_org);
        var expected = Enumerable.Range(0, run.Sent).Where(i => run.AckAt[i] != 0 && timeable.Contains(run.KeyResults[i])).ToArray();
        // Wait while stragglers still arrive: an overloaded host can be seconds behind, and late is not lost.
        var (missing, lastProgress, waitStart) = (Missing(), Stopwatch.GetTimestamp(), Stopwatch.GetTimestamp());
        while (missing > 0 && Stopwatch.GetElapsedTime(lastProgress) < ArrivalStall && Stopwatch.GetElapsedTime(waitStart) < ArrivalLimit)
        {
            await Task.Delay(100);
            var now = Missing();
            if (now < missing) lastProgress = Stopwatch.GetTimestamp();
            missing = now;
        }

        var ackToClient = new Latency();
        var dueToClient = new Latency();
        long atAll = 0;
        foreach (var i in expected)
        {
            var reachedAll = true;
            for (var c = 0; c < clients.Count; c++)
            {
                var received = clients.ReceivedAt(c, i);
                if (received == 0) { reachedAll = false; continue; }
                // A push can beat the 201 to this process (both race over loopback): that counts as no wait at all.
                ackToClient.Record(Stopwatch.GetElapsedTime(run.AckAt[i], Math.Max(run.AckAt[i], received)));
                dueToClient.Record(Stopwatch.GetElapsedTime(run.DueAt[i], received));
            }
            if (reachedAll) atAll++;
        }
        return new HubLatencyResult(clients.Count, rate, run.Sent, run.AckAt.Count(a => a != 0), expected.Length, run.Acknowledgement,
            ackToClient.Summary(), dueToClient.Summary(), atAll, missing, clients.Messages, clients.Disconnected, run.Cpu);

        long Missing()
        {
            long n = 0;
            foreach (var i in expected)
                for (var c = 0; c < clients.Count; c++)
                    if (clients.ReceivedAt(c, i) == 0) n++;
            return n;
        }
    }

    private sealed record OpenLoopRun(int Sent, long[] DueAt, long[] AckAt, string[] KeyResults, LatencySummary Acknowledgement, CpuUse Cpu);

    /// <summary>
    /// Open loop at a fixed rate, check-in i traced with <paramref name="traceOf"/>(i): each is sent when due whether
    /// or not earlier ones have answered, and times count from when it was due (no coordinated omission). The sender
    /// wakes every millisecond and sends what has come due rather than spinning, which would take a core from the host.
    /// </summary>
    private async Task<OpenLoopRun> OpenLoopAsync(double rate, TimeSpan duration, Func<int, string> traceOf)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var dueAt = new long[total];
        var ackAt = new long[total];
        var keyResults = new string[total];
        var acknowledgement = new Latency();
        var rng = new Random(_options.Seed + 11 + total);
        var inFlight = new List<Task>(total);
        var cpu = CpuUse.Measure(_hostProcessId);
        var start = Stopwatch.GetTimestamp();
        var interval = Stopwatch.Frequency / rate;
        for (var i = 0; i < total;)
        {
            var now = Stopwatch.GetTimestamp();
            for (; i < total && start + (long)(i * interval) <= now; i++)
            {
                var plan = _workload.Next(rng);
                dueAt[i] = start + (long)(i * interval);
                keyResults[i] = plan.KeyResult.Id;
                inFlight.Add(SendAsync(i, plan));
            }
            if (i < total) await Task.Delay(1);
        }
        await Task.WhenAll(inFlight);
        return new OpenLoopRun(total, dueAt, ackAt, keyResults, acknowledgement.Summary(), cpu());

        async Task SendAsync(int i, PlannedCheckIn plan)
        {
            var outcome = await _rest.SendAsync(plan, traceOf(i));
            if (!outcome.Acknowledged) return;
            ackAt[i] = outcome.RespondedAt;
            acknowledgement.Record(Stopwatch.GetElapsedTime(dueAt[i], outcome.RespondedAt));
        }
    }

    /// <summary>
    /// Key results with a company objective somewhere above them: only their traces can reach the company scorecard.
    /// A trace climbs every edge (whatever its weight or the parent's roll-up mode), so the graph decides alone.
    /// </summary>
    public static HashSet<string> TimeableKeyResults(SyntheticOrg org)
    {
        var childrenOf = org.Edges.ToLookup(e => e.ParentId, e => e.ChildId);
        var below = new HashSet<string>();
        var pending = new Stack<string>(org.Roots.Select(r => r.Id));
        while (pending.TryPop(out var id))
            foreach (var child in childrenOf[id])
                if (below.Add(child)) pending.Push(child);
        return [.. org.KeyResults.Select(k => k.Id).Where(below.Contains)];
    }

    /// <summary>Acknowledged check-ins the journal does not hold with the acknowledged value.</summary>
    private static async Task<long> LostAcknowledgedAsync(string connectionString,
        IReadOnlyCollection<(string KeyResult, string EntryId, double Value)> acknowledged)
    {
        var stored = new Dictionary<(string, string), double>();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select node_id, entry_id, value from okr_journal", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) stored[(reader.GetString(0), reader.GetString(1))] = reader.GetDouble(2);
        return acknowledged.LongCount(a => !stored.TryGetValue((a.KeyResult, a.EntryId), out var v) || v != a.Value);
    }
}
