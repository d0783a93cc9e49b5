using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using OkrGrid.Tests.Engine;

namespace OkrGrid.Tests.Crash;

/// <summary>
/// kill -9 of the real process under a stream of check-ins: after a restart every acknowledged check-in is there
/// and every score equals the reference computed from what is stored.
/// </summary>
public sealed class CrashRecoveryTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private const int KillAfter = 400;
    private string _db = "";

    public async ValueTask InitializeAsync() => _db = await TestDatabase.CreateAsync("crash");

    public async ValueTask DisposeAsync() => await TestDatabase.DropAsync(_db);

    [Fact]
    public async Task AcknowledgedCheckInsSurviveKillNineAndScoresComeBackExact()
    {
        var ct = TestContext.Current.CancellationToken;
        var acknowledged = new ConcurrentBag<(string Kr, CheckIn CheckIn)>();
        string cycleId;
        List<KeyResultDefinition> manual;

        await using (var web = await WebProcess.StartAsync(_db))
        {
            var org = (await web.Client.GetFromJsonAsync<OrganisationView>("/api/organisation", Json, ct))!;
            cycleId = org.Cycles.Single().Id;
            var snapshot = (await web.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycleId}/snapshot", Json, ct))!;
            manual = snapshot.KeyResults.Where(k => k.Kind is KeyResultKind.Increase or KeyResultKind.Decrease).ToList();

            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 24).Select(w => Task.Run(async () =>
            {
                var rng = new Random(w);
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    var kr = manual[rng.Next(manual.Count)];
                    var value = Math.Round(kr.Start + (kr.Target - kr.Start) * rng.NextDouble(), 3);
                    var id = $"crash-{w}-{i}";
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins")
                    {
                        Content = JsonContent.Create(new { value, confidence = 0.6, note = "load" }),
                    };
                    request.Headers.Add("Idempotency-Key", id);
                    try
                    {
                        using var response = await web.Client.SendAsync(request, ct);
                        if (response.StatusCode != HttpStatusCode.Created) continue;
                        var result = (await response.Content.ReadFromJsonAsync<CheckInResult>(Json, ct))!;
                        Assert.True(result.Applied);
                        acknowledged.Add((kr.Id, new CheckIn(id, value, 0.6, "load", "crash-test", default)));
                        // Pull the plug the moment the 400th acknowledgement lands, mid-stream.
                        if (acknowledged.Count == KillAfter) web.Kill();
                    }
                    catch (Exception) when (stop.IsCancellationRequested || web.Client is null) { return; }
                    catch (HttpRequestException) { return; }   // the process is gone
                }
            })).ToList();

            while (acknowledged.Count < KillAfter) await Task.Delay(20, ct);
            await web.KillAsync();
            stop.Cancel();
            await Task.WhenAll(workers);
        }

        await using var again = await WebProcess.StartAsync(_db);
        var histories = new Dictionary<string, ImmutableArray<CheckIn>>();
        foreach (var kr in manual)
            histories[kr.Id] = (await again.Client.GetFromJsonAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr.Id}/check-ins", Json, ct))!;

        foreach (var (kr, checkIn) in acknowledged)
        {
            var stored = histories[kr].SingleOrDefault(c => c.ClientId == checkIn.ClientId);
            Assert.True(stored is not null, $"acknowledged check-in {checkIn.ClientId} on {kr} was lost");
            Assert.Equal(checkIn.Value, stored.Value);
        }

        // Every score equals the pure reference over what is stored (structure from the snapshot, values from the
        // histories and the KPIs), once the restarted engine has settled.
        var kpiValues = new Dictionary<string, double?>();
        List<string> diffs = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var s = (await again.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycleId}/snapshot", Json, ct))!;
            foreach (var kpiId in s.KeyResults.Where(k => k.KpiId is not null).Select(k => k.KpiId!).Distinct())
                kpiValues[kpiId] = (await again.Client.GetFromJsonAsync<KpiView>($"/api/kpis/{kpiId}", Json, ct))!.State.Latest;
            var allHistories = new Dictionary<string, ImmutableArray<CheckIn>>(histories);
            foreach (var kr in s.KeyResults.Where(k => !histories.ContainsKey(k.Id) && k.Kind != KeyResultKind.KpiLinked))
                allHistories[kr.Id] = (await again.Client.GetFromJsonAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr.Id}/check-ins", Json, ct))!;
            var elapsed = Rules.ExpectedProgress(s.Cycle.Definition.Start, s.Cycle.Definition.End, s.TakenAt);
            var reference = GraphScorer.Score(s.Objectives, s.KeyResults, s.Edges, kr => kr.Kind == KeyResultKind.KpiLinked
                ? KeyResultInput.FromKpi(kr, kpiValues[kr.KpiId!], null)
                : KeyResultInput.FromCheckIns(kr, allHistories[kr.Id]), elapsed, s.Policy);
            diffs = reference.Where(r => !s.Scores.TryGetValue(r.Key, out var a)
                    || Math.Abs(a.Progress - r.Value.Progress) > 1e-9 || a.NoData != r.Value.NoData
                    || !Nullable.Equals(a.Confidence is { } c1 ? Math.Round(c1, 9) : null, r.Value.Confidence is { } c2 ? Math.Round(c2, 9) : (double?)null))
                .Select(r => $"{r.Key}: engine {s.Scores.GetValueOrDefault(r.Key)?.Progress} vs reference {r.Value.Progress}").ToList();
            if (diffs.Count == 0) break;
            await Task.Delay(100, ct);
        }
        Assert.True(diffs.Count == 0, string.Join("\n", diffs));
    }
}
