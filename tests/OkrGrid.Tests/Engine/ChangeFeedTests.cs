namespace OkrGrid.Tests.Engine;

/// <summary>The change feed carries every score change with growing per-node versions, coalesced under bursts.</summary>
public sealed class ChangeFeedTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("feed", Demo.Now);
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task ALeafCheckInIsPublishedForTheKeyResultAndEveryAncestorWithGrowingVersions()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var company = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Company", Demo.Company));
        var team = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Team", Demo.Team("growth"), Parents: [new(company.Id)]));
        var kr = await cycle.CreateKeyResultAsync(new KeyResultDraft("Leads", Demo.Team("growth"), KeyResultKind.Increase, 0, 10, team.Id));
        await _c.WaitQuietAsync(Demo.CycleId);
        var feed = await FeedRecorder.SubscribeAsync(_c);

        await _c.KeyResult(kr.Id).CheckInAsync(Demo.CheckIn(5));
        await _c.KeyResult(kr.Id).CheckInAsync(Demo.CheckIn(8, at: Demo.Now.AddMinutes(1)));

        await feed.WaitForAsync(c => c.NodeId == company.Id && Math.Abs(c.Score!.Progress - 0.8) < 1e-9);
        foreach (var id in new[] { kr.Id, team.Id, company.Id })
        {
            var versions = feed.Changes.Where(c => c.NodeId == id).Select(c => c.Version).ToList();
            Assert.NotEmpty(versions);
            Assert.True(versions.SequenceEqual(versions.Order()) && versions.Distinct().Count() == versions.Count,
                $"{id}: versions arrive strictly growing ({string.Join(", ", versions)})");
            var last = feed.Changes.Last(c => c.NodeId == id);
            Assert.Equal(0.8, last.Score!.Progress, 9);
            Assert.Equal(Demo.CycleId, last.CycleId);
        }
        await feed.UnsubscribeAsync();
    }

    [Fact]
    public async Task UnderABurstTheRootPublishesAtMostOncePerTickAndEndsExact()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var root = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Hot root", Demo.Company));
        var krs = new List<KeyResultDefinition>();
        for (int i = 0; i < 40; i++)
            krs.Add(await cycle.CreateKeyResultAsync(new KeyResultDraft($"KR {i}", Demo.Company, KeyResultKind.Increase, 0, 5000, root.Id)));
        await _c.WaitQuietAsync(Demo.CycleId);
        var feed = await FeedRecorder.SubscribeAsync(_c);

        const int checkIns = 2000;
        await Parallel.ForEachAsync(Enumerable.Range(0, checkIns), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
            await _c.KeyResult(krs[i % krs.Count].Id).CheckInAsync(Demo.CheckIn(i + 1, at: Demo.CycleStart.AddSeconds(i + 1))));

        // Each KR's last check-in by time is value i+1 for the largest i with i % 40 == k: 1961..2000 of 5000.
        var expected = Enumerable.Range(0, krs.Count).Select(k => Math.Min(1.0, (checkIns - krs.Count + k + 1) / 5000.0)).Average();
        await feed.WaitForAsync(c => c.NodeId == root.Id && Math.Abs(c.Score!.Progress - expected) < 1e-9);

        var rootVersions = feed.Changes.Where(c => c.NodeId == root.Id).Select(c => c.Version).ToList();
        Assert.True(rootVersions.Count < checkIns / 4, $"the root published {rootVersions.Count} times for {checkIns} check-ins");
        // Versions are the publication time in microseconds: consecutive publications are at least a tick (20 ms)
        // apart, give or take the clock's granularity.
        var gaps = rootVersions.Zip(rootVersions.Skip(1), (a, b) => TimeSpan.FromMicroseconds(b - a)).ToList();
        Assert.All(gaps, g => Assert.True(g >= TimeSpan.FromMilliseconds(15), $"two root publications {g.TotalMilliseconds:F1} ms apart"));
        await feed.UnsubscribeAsync();
    }

    [Fact]
    public async Task ATracedCheckInIsNamedByTheFirstPublicationOfEveryAncestorThatReflectsIt()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var company = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Traced company", Demo.Company));
        var team = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Traced team", Demo.Team("growth"), Parents: [new(company.Id)]));
        var krs = new List<KeyResultDefinition>();
        for (int i = 0; i < 5; i++)
            krs.Add(await cycle.CreateKeyResultAsync(new KeyResultDraft($"Traced {i}", Demo.Team("growth"), KeyResultKind.Increase, 0, 100, team.Id)));
        await _c.WaitQuietAsync(Demo.CycleId);
        var feed = await FeedRecorder.SubscribeAsync(_c);

        // A burst, so that most traces travel inside coalesced publications; every tenth is traced.
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
            await _c.KeyResult(krs[i % krs.Count].Id).CheckInAsync(Demo.CheckIn(i % 100, at: Demo.CycleStart.AddSeconds(i + 1)) with { TraceId = i % 10 == 0 ? $"t{i}" : null }));

        var expected = Enumerable.Range(0, 30).Select(i => $"t{i * 10}").ToHashSet();
        foreach (var node in new[] { team.Id, company.Id })
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            HashSet<string> seen = [];
            while (DateTime.UtcNow < deadline)
            {
                seen = feed.Changes.Where(c => c.NodeId == node && c.Score!.Traces is not null).SelectMany(c => c.Score!.Traces!).ToHashSet();
                if (seen.IsSupersetOf(expected)) break;
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
            Assert.True(seen.SetEquals(expected), $"{node}: missing {string.Join(", ", expected.Except(seen))}");
        }
        await feed.UnsubscribeAsync();
    }
}
