using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Webhooks;

/// <summary>
/// kill -9 of the web host while check-ins flip key results' statuses: after a restart every key result's last
/// acknowledged status reaches the receiver — whether its transition was in the outbox before the kill or only found
/// by the sweep after it — and a repeated delivery always carries the same delivery id.
/// </summary>
public sealed class WebhookCrashTests : IAsyncLifetime
{
    private const int KillAfter = 60;
    private string _db = "";
    private WebhookReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _db = await ScratchDatabases.CreateAsync("hookcrash");
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await ScratchDatabases.DropAsync(_db);
    }

    private static IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(HookHost.Settings)
    {
        // A lease held by the killed host runs out quickly.
        ["Webhooks__Lease"] = "00:00:05",
    };

    [Fact]
    public async Task EveryAcknowledgedStatusReachesTheReceiverAcrossKillNine()
    {
        var ct = TestContext.Current.CancellationToken;
        var inbox = _receiver["crash"];
        var keyResults = new[] { "platform", "sales" }.SelectMany(t => Enumerable.Range(1, 4).Select(i => $"k-{t}-{i}")).ToArray();
        var acknowledged = new ConcurrentDictionary<string, Status>();
        var count = 0;

        await using (var web = await WebProcess.StartAsync(_db, seedDemo: false, environment: Settings))
        {
            await HookHost.SeedAsync(web.Client);
            var created = await HookHost.PostOkAsync(web.Client, "/api/webhooks",
                new { name = "crash", url = _receiver.Url("crash"), events = new[] { "status.changed" }, scope = "company" });
            inbox.Secret = created["secret"]!.GetValue<string>();

            using var stop = new CancellationTokenSource();
            var workers = keyResults.Select(kr => Task.Run(async () =>
            {
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{HookHost.Node(kr)}/check-ins")
                    {
                        Content = JsonContent.Create(new { value = i % 2 == 0 ? 100 : 0, confidence = 0.5 }),
                    };
                    request.Headers.Add("Idempotency-Key", $"{kr}-{i}");
                    try
                    {
                        using var response = await web.Client.SendAsync(request, CancellationToken.None);
                        if (response.StatusCode != HttpStatusCode.Created) return;
                        var result = (await response.Content.ReadFromJsonAsync<CheckInResult>(HookHost.Json, CancellationToken.None))!;
                        acknowledged[kr] = result.Score.Status;
                        if (Interlocked.Increment(ref count) == KillAfter) web.Kill(); // mid-stream, the moment it lands
                    }
                    catch (HttpRequestException) { return; }   // the process is gone
                    catch (TaskCanceledException) { return; }
                }
            }, CancellationToken.None)).ToList();

            for (var deadline = DateTime.UtcNow.AddSeconds(60); Volatile.Read(ref count) < KillAfter && !workers.All(w => w.IsCompleted); await Task.Delay(20, ct))
                Assert.True(DateTime.UtcNow < deadline, $"only {count} check-ins acknowledged");
            await web.KillAsync();
            stop.Cancel();
            await Task.WhenAll(workers);
        }
        Assert.True(count >= KillAfter, $"the host died before {KillAfter} acknowledgements ({count})");
        var beforeRestart = inbox.Accepted.Count;

        await using var again = await WebProcess.StartAsync(_db, seedDemo: false, environment: Settings);
        // The truth after the restart: each key result's status as the engine computes it from the journal. It is the last
        // acknowledged one, unless a check-in whose answer was lost in the kill also committed (its status is then the other).
        var now = new Dictionary<string, Status>();
        foreach (var kr in keyResults)
            now[kr] = (await again.Client.GetFromJsonAsync<KeyResultView>($"/api/key-results/{HookHost.Node(kr)}", HookHost.Json, ct))!.Score.Status;

        string LastReported(string kr) => inbox.Accepted
            .Where(r => r.Json?["data"]?["nodeId"]?.GetValue<string>() == HookHost.Node(kr))
            .OrderBy(r => r.Json!["data"]!["version"]!.GetValue<long>())
            .Select(r => r.Json!["data"]!["to"]!.GetValue<string>()).LastOrDefault() ?? "none";
        string Name(Status s) => OkrGrid.Engine.Integrations.Webhooks.WebhookEventSource.Name(s);

        var deadline2 = DateTime.UtcNow.AddSeconds(40);
        while (keyResults.Any(kr => LastReported(kr) != Name(now[kr])) && DateTime.UtcNow < deadline2) await Task.Delay(100, ct);
        var wrong = keyResults.Where(kr => LastReported(kr) != Name(now[kr]))
            .Select(kr => $"{kr}: engine {now[kr]}, acknowledged {acknowledged.GetValueOrDefault(kr)}, last delivered {LastReported(kr)}").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        foreach (var (kr, status) in acknowledged)
            Assert.Contains(now[kr], new[] { status, status == Status.OnTrack ? Status.OffTrack : Status.OnTrack });

        // Duplicates only with the same delivery id: one id per event, and one event per id.
        var received = inbox.Accepted.ToList();
        foreach (var byId in received.GroupBy(r => r.DeliveryId))
            Assert.Single(byId.Select(r => r.Json!["data"]!.ToJsonString()).Distinct());
        foreach (var byEvent in received.GroupBy(r => (r.Json!["data"]!["nodeId"]!.GetValue<string>(), r.Json["data"]!["version"]!.GetValue<long>())))
            Assert.Single(byEvent.Select(r => r.DeliveryId).Distinct());
        Assert.Empty(inbox.Refused);
        TestContext.Current.SendDiagnosticMessage($"{count} check-ins acknowledged before the kill; {beforeRestart} deliveries before the restart, {received.Count} in all " +
            $"({received.Select(r => r.DeliveryId).Distinct().Count()} distinct).");
    }
}
