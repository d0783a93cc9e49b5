using Npgsql;

namespace OkrGrid.Bench;

public sealed record RestThroughputResult(int Concurrency, long Acknowledged, double PerSecond, LatencySummary Acknowledgement, CpuUse Cpu);

/// <summary>Figure 8 and its checks: the web host's engine against the reference, the journal against the 201s.</summary>
public sealed record UserPathResult(
    int Nodes,
    ImmutableArray<RestThroughputResult> Rest,
    long Acknowledged,
    ImmutableDictionary<string, long> Errors,
    long LostAcknowledged,
    int Differences,
    ImmutableArray<string> FirstDifferences,
    int StatusesWithinClockWindow)
{
    public long HttpErrors => Errors.Values.Sum();
    public bool Passed => HttpErrors == 0 && LostAcknowledged == 0 && Differences == 0;
}

/// <summary>
/// Figure 8, the path users' check-ins take: check-ins per second through the REST API of the real web host (a
/// separate process, HTTP/1.1 keep-alive, closed loop). Then the host's engine must equal the pure reference of
/// every 201 and the journal must hold each of them.
/// </summary>
public sealed class UserPathFigures
{
    private readonly CheckInWorkload _workload;
    private readonly BenchOptions _options;
    private readonly RestCheckIns _rest;
    private readonly int _hostProcessId;

    private UserPathFigures(SyntheticOrg org, BenchOptions options, RestCheckIns rest, int hostProcessId)
    {
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

        using var rest = new RestCheckIns(host.Web.BaseAddress, org, ledger, maxConnections: Math.Max(256, options.RestConcurrency.Max()));
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

        var settled = await Verification.WaitQuietAsync(host.Client, org.Cycle.Id);
        var (differences, widened) = Verification.DifferencesWithinClock(settled, ledger, clockFrom, DateTimeOffset.UtcNow);
        var lost = await LostAcknowledgedAsync(connectionString, rest.Acknowledged);
        say(differences.Count == 0 && lost == 0 && rest.ErrorCount == 0
            ? $"Verified: the web host's {settled.Scores.Count:N0} nodes equal the reference ({ledger.Acknowledged:N0} REST check-ins, none lost, no HTTP errors)."
            : $"FAILED: {differences.Count} differences, {lost} acknowledged check-ins lost, {rest.ErrorCount} HTTP errors.");
        return new UserPathResult(org.NodeCount, throughput.ToImmutable(), ledger.Acknowledged, rest.Errors.ToImmutableDictionary(),
            lost, differences.Count, [.. differences.Take(10)], widened);
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
