using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using OkrGrid.Workload.Hosting;

namespace OkrGrid.Bench;

/// <param name="Replayed">Acknowledged pushes sent again with the same id afterwards that answered 200 "not applied".</param>
/// <param name="ReplaysChecked">How many were sent again.</param>
/// <param name="WrongTokenStatus">What a push with a wrong token got (must be 401).</param>
/// <param name="LostAcknowledged">Acknowledged (201) pushes the journal does not hold with their value.</param>
public sealed record IngestResult(int Sources, int Concurrency, long Acknowledged, double PerSecond, LatencySummary Acknowledgement, CpuUse Cpu,
    ImmutableDictionary<string, long> Errors, long ReplaysChecked, long Replayed, int WrongTokenStatus, long LostAcknowledged)
{
    public long ErrorCount => Errors.Values.Sum();
    public bool Passed => ErrorCount == 0 && LostAcknowledged == 0 && Replayed == ReplaysChecked && WrongTokenStatus == 401 && Acknowledged > 0;
}

/// <summary>
/// Figure 12: check-ins per second through data sources' ingest URLs — the real web host as a process, push sources
/// on key results under one objective, each push a JSON body with the source's bearer token and an idempotency id
/// (HTTP/1.1 keep-alive, closed loop). The per-source rate limit is lifted for the run (the figure is of the path, not
/// the limiter). Then: every 201 is in the journal with its value, a replay of an acknowledged push applies nothing,
/// and a wrong token gets 401.
/// </summary>
public static class IngestFigures
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<IngestResult> RunAsync(string connectionString, BenchOptions options, Action<string> say)
    {
        var sources = options.Quick ? 20 : 200;
        var concurrency = options.Quick ? 16 : 64;
        await using var web = await WebProcess.StartAsync(connectionString, seedDemo: false, new Dictionary<string, string>
        {
            ["Sources__PushesPerSecond"] = "1000000",
            ["Sources__PushBurst"] = "1000000",
        });
        var now = DateTimeOffset.UtcNow;
        await PostAsync(web.Client, "/api/cycles", new { id = "ingest", name = "Ingest", start = now.AddDays(-10), end = now.AddDays(80) });
        var objective = (await PostAsync(web.Client, "/api/objectives", new { cycleId = "ingest", id = "pushed", title = "Fed by pushes", owner = new { kind = "company" } }))
            .GetProperty("id").GetString()!;
        var targets = new List<(string SourceId, string KeyResult, string Token, Uri Url)>(sources);
        for (var i = 0; i < sources; i++)
        {
            var kr = (await PostAsync(web.Client, "/api/key-results", new
            {
                id = $"kr{i}", title = $"Pushed {i}", owner = new { kind = "company" }, kind = "increase", start = 0, target = 1_000_000, objectiveId = objective,
            })).GetProperty("id").GetString()!;
            var created = await PostAsync(web.Client, "/api/sources", new { keyResultId = kr, name = $"Pusher {i}", kind = "push" });
            var id = created.GetProperty("source").GetProperty("id").GetString()!;
            targets.Add((id, kr, created.GetProperty("token").GetString()!, new Uri(created.GetProperty("ingestUrl").GetString()!)));
        }
        say($"Ingest: {sources} push sources on the web host at {web.BaseAddress}.");

        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            UseProxy = false,
        })
        { Timeout = TimeSpan.FromSeconds(30), DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var errors = new ConcurrentDictionary<string, long>();
        var acknowledged = new ConcurrentQueue<(string KeyResult, string EntryId, string Id, int Target, double Value)>();
        long sequence = 0;

        async Task<(HttpStatusCode? Status, long RespondedAt)> PushAsync(int target, string id, double value)
        {
            var (_, _, token, url) = targets[target];
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"value\":{value:R},\"id\":\"{id}\"}}"))),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
            try
            {
                using var response = await http.SendAsync(request);
                return (response.StatusCode, Stopwatch.GetTimestamp());
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                errors.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
                return (null, Stopwatch.GetTimestamp());
            }
        }

        async Task<(long Count, double Seconds, LatencySummary Latency, CpuUse Cpu)> ClosedLoopAsync(TimeSpan duration)
        {
            var latency = new Latency();
            long count = 0;
            using var stop = new CancellationTokenSource(duration);
            var cpu = CpuUse.Measure(web.ProcessId);
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
            {
                var rng = new Random(options.Seed * 31 + w);
                while (!stop.IsCancellationRequested)
                {
                    var target = rng.Next(targets.Count);
                    var n = Interlocked.Increment(ref sequence);
                    var id = string.Create(CultureInfo.InvariantCulture, $"b{n}");
                    var value = Math.Round(rng.NextDouble() * 1_000_000, 2);
                    var t0 = Stopwatch.GetTimestamp();
                    var (status, at) = await PushAsync(target, id, value);
                    if (status == HttpStatusCode.Created)
                    {
                        latency.Record(Stopwatch.GetElapsedTime(t0, at));
                        Interlocked.Increment(ref count);
                        acknowledged.Enqueue((targets[target].KeyResult, $"src:{targets[target].SourceId}:{id}", id, target, value));
                    }
                    else if (status is { } other) errors.AddOrUpdate($"HTTP {(int)other}", 1, (_, k) => k + 1);
                }
            })));
            return (count, Stopwatch.GetElapsedTime(started).TotalSeconds, latency.Summary(), cpu());
        }

        await ClosedLoopAsync(options.Warmup); // its pushes are verified too
        var run = await ClosedLoopAsync(options.Duration);
        var perSecond = run.Count / run.Seconds;
        say($"Ingest, {concurrency} clients: {perSecond:N0} check-ins/s (201 {run.Latency}).");

        // Replays of acknowledged pushes apply nothing; a wrong token is refused.
        var replays = acknowledged.Take(Math.Min(100, acknowledged.Count)).ToList();
        long replayed = 0;
        foreach (var r in replays)
            if ((await PushAsync(r.Target, r.Id, r.Value)).Status == HttpStatusCode.OK) replayed++;
        var wrong = targets[0] with { Token = targets[0].Token[..^2] + (targets[0].Token.EndsWith("AA", StringComparison.Ordinal) ? "BB" : "AA") };
        targets.Add(wrong);
        var wrongStatus = (int)((await PushAsync(targets.Count - 1, "wrong", 1)).Status ?? 0);

        var lost = await LostAsync(connectionString, acknowledged);
        var result = new IngestResult(sources, concurrency, acknowledged.Count, perSecond, run.Latency, run.Cpu, errors.ToImmutableDictionary(),
            replays.Count, replayed, wrongStatus, lost);
        say(result.Passed
            ? $"Verified: all {acknowledged.Count:N0} acknowledged pushes are in the journal; {replayed} replays applied nothing; a wrong token got 401."
            : $"FAILED: ingest: {lost} acknowledged pushes lost, {result.ErrorCount} errors, {replayed} of {replays.Count} replays answered 200, wrong token → {wrongStatus}.");
        return result;
    }

    /// <summary>POSTs JSON that must be created (201) and returns the answer; anything else stops the figure.</summary>
    internal static async Task<JsonElement> PostAsync(HttpClient client, string url, object body)
    {
        using var response = await client.PostAsJsonAsync(url, body, Json);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json);
    }

    private static async Task<long> LostAsync(string connectionString, IEnumerable<(string KeyResult, string EntryId, string Id, int Target, double Value)> acknowledged)
    {
        var stored = new Dictionary<(string, string), double>();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select node_id, entry_id, value from okr_journal where via = 'source:push'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) stored[(reader.GetString(0), reader.GetString(1))] = reader.GetDouble(2);
        return acknowledged.LongCount(a => !stored.TryGetValue((a.KeyResult, a.EntryId), out var v) || v != a.Value);
    }
}
