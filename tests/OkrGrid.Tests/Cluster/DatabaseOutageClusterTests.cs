using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OkrGrid.Tests.Hosting;
using OkrGrid.Workload;

namespace OkrGrid.Tests.Cluster;

/// <summary>
/// PostgreSQL killed (-9, server and backends) and restarted under a stream of check-ins, with two standalone silos and a
/// web host in client mode on it: during the outage the web host's readiness says unavailable and check-ins answer 503
/// with Retry-After (never 500); afterwards the same processes take check-ins again by themselves, and every check-in
/// that was acknowledged — before, during or after — is in its key result's history.
/// </summary>
public sealed class DatabaseOutageClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private const string ClusterId = "okrgrid-db-outage";
    private const string CompanyId = "lumen";
    private readonly OwnPostgres _pg = new();
    private readonly List<SiloProcess> _silos = [];
    private WebProcess? _web;
    private IHost? _client;
    private string _db = "";

    public async ValueTask InitializeAsync()
    {
        Assert.Equal(0, await _pg.PgAsync("createdb", "okrgrid_outage"));
        _db = await _pg.UrlAsync("okrgrid_outage");
        for (var i = 0; i < 2; i++) _silos.Add(await SiloProcess.StartAsync(_db, $"silo-{i}", ClusterId));
        _web = await WebProcess.StartAsync(_db, seedDemo: false, environment: new Dictionary<string, string>
        {
            ["Cluster__Mode"] = "Client",
            ["Cluster__ClusterId"] = ClusterId,
        });
        _client = await ClusterClient.StartAsync(ClusterId, _db);
    }

    public async ValueTask DisposeAsync()
    {
        await ClusterClient.StopAsync(_client);
        if (_web is not null) await _web.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
        await _pg.DisposeAsync();
    }

    [Fact]
    public async Task KilledAndRestartedUnderLoadTheClusterAnswers503ThenRecoversLosingNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var web = _web!;
        var grains = _client!.Services.GetRequiredService<IClusterClient>();
        var org = OrgGenerator.Generate(60, seed: 15, OrgGenerator.QuarterAround(DateTimeOffset.UtcNow, "outage")).AsCompany(CompanyId);
        await EngineImport.ImportAsync(grains, org);
        await EngineImport.ActivateAllAsync(grains, org);
        var manual = org.KeyResults.Where(k => k.Kind is KeyResultKind.Increase or KeyResultKind.Decrease).ToList();

        // Clients that retry a 503 after a pause, with the same Idempotency-Key, as README tells them to.
        var acknowledged = new ConcurrentBag<(string Kr, string Id, double Value)>();
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentBag<string>();
        var retryAfterMissing = 0;
        // Every answer with when it was asked and how long it took, so a failed run says what recovery looked like.
        var clock = Stopwatch.StartNew();
        var answers = new ConcurrentQueue<(TimeSpan Asked, TimeSpan Took, int Status)>();
        var waitingSince = new TimeSpan?[6]; // per worker: when its unanswered request was sent
        var workerErrors = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var kr = manual[rng.Next(manual.Count)];
                var value = Math.Round(kr.Start + (kr.Target - kr.Start) * rng.NextDouble(), 3);
                var id = $"out-{w}-{i}";
                while (!stop.IsCancellationRequested)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins")
                    {
                        Content = JsonContent.Create(new { value, note = "outage" }),
                    };
                    request.Headers.Add("Idempotency-Key", id);
                    var asked = clock.Elapsed;
                    waitingSince[w] = asked;
                    HttpResponseMessage sent;
                    try { sent = await web.Client.SendAsync(request, CancellationToken.None); }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        // No answer at all (a timeout or a dropped connection) is a failure: the worker says so and goes on.
                        workerErrors.Add($"{kr.Id} {id} asked at {asked.TotalSeconds:F1} s: {e.GetType().Name} after {(clock.Elapsed - asked).TotalSeconds:F1} s");
                        waitingSince[w] = null;
                        await Task.Delay(250, CancellationToken.None);
                        continue;
                    }
                    waitingSince[w] = null;
                    using var response = sent;
                    answers.Enqueue((asked, clock.Elapsed - asked, (int)response.StatusCode));
                    statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
                    {
                        acknowledged.Add((kr.Id, id, value));
                        break;
                    }
                    if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                    {
                        failures.Add($"{kr.Id} {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                        break;
                    }
                    if (response.Headers.RetryAfter?.Delta is null) Interlocked.Increment(ref retryAfterMissing);
                    await Task.Delay(250, CancellationToken.None);
                }
                await Task.Delay(20, CancellationToken.None);
            }
        }, CancellationToken.None)).ToList();

        TimeSpan killedAt = default, restartedAt = default;
        try
        {
            await WaitUntilAsync(() => acknowledged.Count >= 200, TimeSpan.FromSeconds(60), "200 check-ins before the outage");
            var beforeOutage = acknowledged.Count;
            await _pg.KillAsync();
            killedAt = clock.Elapsed;
            var outage = Stopwatch.StartNew();

            // Readiness turns unavailable (liveness stays up: the process is fine, restarting it would not help).
            await WaitUntilAsync(async () =>
            {
                using var ready = await web.Client.GetAsync("/healthz/ready", ct);
                return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
            }, TimeSpan.FromSeconds(15), "readiness unavailable during the outage");
            using (var live = await web.Client.GetAsync("/healthz/live", ct)) Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            await WaitUntilAsync(() => statuses.GetValueOrDefault(503) >= 20, TimeSpan.FromSeconds(20), "check-ins answered 503 during the outage");
            var duringOutage = acknowledged.Count;
            output.WriteLine($"outage: readiness unavailable and 503s after {outage.Elapsed.TotalSeconds:F1} s; {duringOutage - beforeOutage} acknowledged since the kill (in flight or answered by a live grain before it wrote)");
            await Task.Delay(TimeSpan.FromSeconds(5), ct); // the outage lasts on: hosts must not give up or go wrong meanwhile

            Assert.Equal(0, await _pg.PgAsync("start"));
            restartedAt = clock.Elapsed;
            var restarted = Stopwatch.StartNew();
            var ackAtRestart = acknowledged.Count;
            await WaitUntilAsync(() => acknowledged.Count >= ackAtRestart + 200, TimeSpan.FromSeconds(90), "200 check-ins acknowledged after PostgreSQL came back");
            output.WriteLine($"recovered: 200 check-ins acknowledged {restarted.Elapsed.TotalSeconds:F1} s after PostgreSQL restarted");
            await WaitUntilAsync(async () =>
            {
                using var ready = await web.Client.GetAsync("/healthz/ready", ct);
                return ready.StatusCode == HttpStatusCode.OK;
            }, TimeSpan.FromSeconds(30), "readiness back");
        }
        catch (Exception)
        {
            // Say what recovery looked like: answers per second after the kill (by status, with the slowest), then
            // what each process logged.
            output.WriteLine($"killed at {killedAt.TotalSeconds:F1} s, PostgreSQL started at {restartedAt.TotalSeconds:F1} s, now {clock.Elapsed.TotalSeconds:F1} s");
            output.WriteLine($"workers waiting since: {string.Join(", ", waitingSince.Select(t => t is { } since ? $"{since.TotalSeconds:F1} s" : "-"))}");
            foreach (var error in workerErrors.Take(10)) output.WriteLine($"  no answer: {error}");
            foreach (var second in answers.Where(a => a.Asked >= killedAt).GroupBy(a => (int)a.Asked.TotalSeconds).OrderBy(g => g.Key))
                output.WriteLine($"  asked at {second.Key} s: {string.Join(", ", second.GroupBy(a => a.Status).Select(g => $"{g.Key}×{g.Count()}"))}, slowest {second.Max(a => a.Took).TotalSeconds:F1} s");
            foreach (var (name, log) in _silos.Select(x => (x.Name, x.Output)).Append(("web host", web.Output)))
                output.WriteLine($"--- {name}:\n{string.Join("\n", log.Split('\n').Select(l => l.Length > 400 ? l[..400] : l).TakeLast(80))}");
            throw;
        }
        stop.Cancel();
        await Task.WhenAll(workers);
        output.WriteLine($"answers: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; {acknowledged.Count} acknowledged");

        foreach (var (name, log) in _silos.Select(x => (x.Name, x.Output)).Append(("web host", web.Output)))
            output.WriteLine($"--- {name}:\n{string.Join("\n", log.Split('\n').Where(l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal)).Select(l => l.Length > 300 ? l[..300] : l).Distinct().TakeLast(30))}");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        Assert.True(workerErrors.IsEmpty, string.Join("\n", workerErrors.Take(10)));
        Assert.Equal(0, retryAfterMissing);
        Assert.All(_silos, s => Assert.False(s.HasExited, $"{s.Name} exited:\n{s.Output}"));

        // Every acknowledged check-in is in the history, read back through the same (never restarted) processes.
        var lost = new List<string>();
        foreach (var group in acknowledged.GroupBy(a => a.Kr))
        {
            var history = (await web.Client.GetFromJsonAsync<ImmutableArray<CheckIn>>($"/api/key-results/{group.Key}/check-ins", Json, ct))!;
            lost.AddRange(group.Where(a => !history.Any(c => c.ClientId == a.Id && c.Value.Equals(a.Value))).Select(a => $"{a.Kr}/{a.Id}"));
        }
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged check-ins lost, e.g. {string.Join(", ", lost.Take(5))}");
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what) => WaitUntilAsync(() => Task.FromResult(condition()), limit, what);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed <= limit)
        {
            try { if (await condition()) return; }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Not within {limit}: {what}.");
    }
}
