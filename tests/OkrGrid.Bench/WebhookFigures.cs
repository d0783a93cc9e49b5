using Npgsql;
using OkrGrid.Workload.Hosting;

namespace OkrGrid.Bench;

/// <param name="Traces">Traced status transitions made during the load (check-ins that changed a traced key result's status).</param>
/// <param name="Load">The figure-1 closed loop that ran meanwhile (through the web host's gateway).</param>
/// <param name="Refused">Deliveries whose signature the receiver's own check refused (must be 0).</param>
/// <param name="Duplicates">Deliveries accepted more than once (at least once allows them; each with its one id).</param>
/// <param name="DrainSeconds">After the load stopped: until no delivery was pending in the outbox.</param>
/// <param name="Pending">Deliveries still pending when the figure gave up waiting (must be 0).</param>
/// <param name="Dead">Dead letters (must be 0: the receiver never fails).</param>
/// <param name="Scoped">The subscriber to the traced objective only (scope node:…): what a team's integration sees.</param>
/// <param name="Firehose">The company-wide subscriber, which also gets every transition the load causes.</param>
public sealed record WebhookResult(int Nodes, int TracedKeyResults, double TraceRate, long Traces, WebhookLag Scoped, WebhookLag Firehose,
    ThroughputResult Load, long Refused, long Duplicates, long SkippedWhilePending, double DrainSeconds, long Pending, long Dead, CpuUse Cpu)
{
    public bool Passed => Traces > 0 && Scoped.Arrived == Traces && Firehose.Arrived == Traces && Refused == 0 && Pending == 0 && Dead == 0;
}

/// <param name="Arrived">Traced transitions that reached this subscriber.</param>
/// <param name="AckToReceiver">From the check-in's acknowledgement to the receiver accepting the delivery that says so.</param>
/// <param name="Delivered">Every delivery this subscriber accepted during the load.</param>
public sealed record WebhookLag(long Arrived, LatencySummary AckToReceiver, LatencySummary SendToReceiver, long Delivered, double DeliveredPerSecond);

/// <summary>
/// Figure 14: webhook delivery lag under figure 1's check-in load. The real web host as a process (its silo writes the
/// outbox and its dispatcher delivers), the organisation imported through its gateway, two subscriptions to
/// <c>status.changed</c> (JSON, HMAC-signed) on a real receiver (Kestrel on loopback, checking every signature itself):
/// one to the traced objective only (a team's integration), one company-wide (a firehose that also gets every
/// transition the load causes in the organisation — figure 1's random values flip statuses far more often than real
/// key results do). While figure 1's closed loop runs through the gateway, traced key results ("stay at or above 100",
/// so 100 is on track and 0 off track whatever the date) are flipped at a fixed rate; each flip's lag is from the
/// check-in's acknowledgement to each receiver accepting the delivery that says so. Then the outbox must drain with
/// nothing dead.
/// </summary>
public static class WebhookFigures
{
    private const string ScopedInbox = "scoped", FirehoseInbox = "all";
    private static readonly TimeSpan ArrivalLimit = TimeSpan.FromSeconds(60);

    /// <summary>One traced key result: the transition it waits for, if any.</summary>
    private sealed class Traced(string id)
    {
        public string Id { get; } = id;
        public string Status { get; set; } = "noData";
        /// <summary>The transition awaited, and which subscribers have not had it yet.</summary>
        public (string To, DateTimeOffset SentAt, DateTimeOffset AckAt, HashSet<string> Awaiting)? Pending { get; set; }
    }

    public static async Task<WebhookResult> RunAsync(string connectionString, SyntheticOrg generated, BenchOptions options, DateTimeOffset now,
        Action<string> say)
    {
        var org = UserPathHost.AsHostCompany(generated);
        var ledger = new Ledger(BaselineFigures.BaseTime(org, now));
        await using var receiver = await WebhookReceiver.StartAsync();
        // The receiver is on loopback: the host's outbound guard must allow private networks (an admin setting).
        await using var host = await UserPathHost.StartAsync(connectionString, new Dictionary<string, string> { ["Outbound__AllowPrivateNetworks"] = "true" });
        say($"Webhooks: web host up at {host.Web.BaseAddress}; importing {org.NodeCount:N0} nodes through its gateway.");
        await EngineImport.ImportAsync(host.Client, org);
        await EngineImport.ActivateAllAsync(host.Client, org);

        // The traced key results: under an objective of their own, so the load never checks them in.
        var tracedCount = options.Quick ? 10 : 40;
        var rate = options.Quick ? 10.0 : 20.0;
        var objective = await PostAsync(host.Web.Client, "/api/objectives",
            new { cycleId = org.Cycle.Id, id = "hook-lag", title = "Webhook lag", owner = new { kind = "company" } });
        var traced = new List<Traced>(tracedCount);
        for (var i = 0; i < tracedCount; i++)
        {
            var kr = await PostAsync(host.Web.Client, "/api/key-results", new
            {
                cycleId = org.Cycle.Id, id = $"hook-lag-{i}", title = $"Traced {i}", owner = new { kind = "company" },
                kind = "stayAtOrAbove", start = 0, target = 100, objectiveId = objective,
            });
            traced.Add(new Traced(kr));
        }
        var byId = traced.ToDictionary(t => t.Id);

        foreach (var (inbox, scope) in new[] { (ScopedInbox, $"node:{objective}"), (FirehoseInbox, "company") })
        {
            var created = await IngestFigures.PostAsync(host.Web.Client, "/api/webhooks",
                new { name = inbox, url = receiver.Url(inbox), events = new[] { "status.changed" }, scope, format = "json" });
            receiver[inbox].Secret = created.GetProperty("secret").GetString()!;
        }

        var measuring = false;
        var lags = new[] { ScopedInbox, FirehoseInbox }.ToDictionary(i => i, _ => (Ack: new Latency(), Send: new Latency()));
        var arrived = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var delivered = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        foreach (var inbox in lags.Keys)
            receiver[inbox].OnAccepted = r =>
            {
                if (Volatile.Read(ref measuring)) delivered.AddOrUpdate(inbox, 1, (_, n) => n + 1);
                if (r.Json?["data"] is not { } data || data["nodeId"]?.GetValue<string>() is not { } node || !byId.TryGetValue(node, out var t)) return;
                var to = data["to"]?.GetValue<string>();
                lock (t)
                {
                    if (t.Pending is not { } p || p.To != to || !p.Awaiting.Remove(inbox)) return;
                    lags[inbox].Ack.Record(r.At - p.AckAt);
                    lags[inbox].Send.Record(r.At - p.SentAt);
                    if (p.Awaiting.Count == 0) t.Pending = null;
                }
                arrived.AddOrUpdate(inbox, 1, (_, n) => n + 1);
            };

        // A flip: the opposite of the key result's status, acknowledged by the engine; a trace when the status moved.
        async Task<bool> FlipAsync(Traced t)
        {
            var value = t.Status == "onTrack" ? 0 : 100;
            var sentAt = DateTimeOffset.UtcNow;
            var result = await host.Client.GetGrain<IKeyResultGrain>(t.Id)
                .CheckInAsync(new CheckIn($"lag-{Guid.NewGuid():N}", value, null, "", "bench", sentAt));
            var ackAt = DateTimeOffset.UtcNow;
            // The names the payloads use.
            var status = OkrGrid.Engine.Integrations.Webhooks.WebhookEventSource.Name(result.Score.Status);
            lock (t)
            {
                var moved = status != t.Status;
                t.Status = status;
                if (moved) t.Pending = (status, sentAt, ackAt, [ScopedInbox, FirehoseInbox]);
                return moved;
            }
        }

        // Warm: every traced key result on track, and each of those first transitions delivered.
        foreach (var t in traced) await FlipAsync(t);
        await WaitArrivedAsync(traced, TimeSpan.FromSeconds(30));
        foreach (var (ack, send) in lags.Values) { ack.Reset(); send.Reset(); }
        arrived.Clear();

        var concurrency = options.Concurrency[Math.Min(1, options.Concurrency.Length - 1)];
        var figures = new EngineFigures(host.Client, org, new CheckInWorkload(org, skewed: false, options.Seed), ledger, options);
        say($"Webhooks: figure 1's closed loop at {concurrency} in flight (warm-up), then {tracedCount} traced key results flipped at {rate:N0}/s beside it.");
        await figures.ClosedLoopAsync(concurrency, options.Warmup);

        var cpu = CpuUse.Measure(host.Web.ProcessId);
        Volatile.Write(ref measuring, true);
        var started = Stopwatch.GetTimestamp();
        var load = figures.ClosedLoopAsync(concurrency, options.Duration);
        long traces = 0, skipped = 0;
        var interval = TimeSpan.FromSeconds(1 / rate);
        var next = 0;
        for (var tick = 0; Stopwatch.GetElapsedTime(started) < options.Duration; tick++)
        {
            // On schedule whatever the earlier flips' fate (no coordinated omission); a key result whose last transition
            // has not arrived yet is passed over this round (counted), since its next one could not be told apart.
            var due = started + (long)(tick * interval.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var t = traced[next++ % traced.Count];
            bool pending;
            lock (t) pending = t.Pending is not null;
            if (pending) { skipped++; continue; }
            if (await FlipAsync(t)) traces++;
        }
        var loadResult = await load;
        var loadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Volatile.Write(ref measuring, false);
        var deliveredDuringLoad = delivered.ToDictionary(d => d.Key, d => d.Value);
        var cpuUse = cpu();

        await WaitArrivedAsync(traced, ArrivalLimit);
        var drainStarted = Stopwatch.GetTimestamp();
        var (pendingLeft, dead) = await OutboxAsync(connectionString);
        while (pendingLeft > 0 && Stopwatch.GetElapsedTime(drainStarted) < ArrivalLimit)
        {
            await Task.Delay(100);
            (pendingLeft, dead) = await OutboxAsync(connectionString);
        }
        var drain = Stopwatch.GetElapsedTime(drainStarted).TotalSeconds;

        long refused = 0, duplicates = 0;
        foreach (var name in lags.Keys)
        {
            var inbox = receiver[name];
            refused += inbox.Refused.Count;
            duplicates += inbox.Accepted.Count - inbox.DeliveryIds.Count;
        }
        WebhookLag Lag(string inbox)
        {
            var n = deliveredDuringLoad.GetValueOrDefault(inbox);
            return new WebhookLag(arrived.GetValueOrDefault(inbox), lags[inbox].Ack.Summary(), lags[inbox].Send.Summary(), n, n / loadSeconds);
        }
        var result = new WebhookResult(org.NodeCount + tracedCount + 1, tracedCount, rate, traces, Lag(ScopedInbox), Lag(FirehoseInbox), loadResult,
            refused, duplicates, skipped, drain, pendingLeft, dead, cpuUse);
        say(result.Passed
            ? $"Webhook lag (acknowledged → receiver's 200) beside {loadResult.PerSecond:N0} check-ins/s: the objective's subscriber {result.Scoped.AckToReceiver}; " +
              $"the company-wide one {result.Firehose.AckToReceiver} ({result.Firehose.Delivered:N0} deliveries during the load, {result.Firehose.DeliveredPerSecond:N0}/s); " +
              $"{result.Traces} traced transitions, all at both; the outbox drained {drain:F1} s after the traces."
            : $"FAILED: webhooks: {result.Scoped.Arrived} and {result.Firehose.Arrived} of {result.Traces} traced transitions arrived, {refused} refused signatures, {pendingLeft} pending, {dead} dead.");
        return result;
    }

    private static async Task WaitArrivedAsync(IReadOnlyList<Traced> traced, TimeSpan limit)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < limit)
        {
            var any = false;
            foreach (var t in traced)
                lock (t) any |= t.Pending is not null;
            if (!any) return;
            await Task.Delay(50);
        }
    }

    /// <summary>Deliveries pending and dead in the outbox.</summary>
    private static async Task<(long Pending, long Dead)> OutboxAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select count(*) filter (where state = 'pending'), count(*) filter (where state = 'dead') from okr_webhook_deliveries", connection);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<string> PostAsync(HttpClient client, string url, object body) =>
        (await IngestFigures.PostAsync(client, url, body)).GetProperty("id").GetString()!;
}
