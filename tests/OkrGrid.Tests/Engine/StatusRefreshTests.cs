namespace OkrGrid.Tests.Engine;

/// <summary>
/// A status is measured against the cycle's expected pace, which moves with the clock: an active node re-evaluates it
/// on its refresh timer, with no new input. A node keeps that timer only while its score can move (a key result with
/// no value yet has no status), so this is the case that matters: a key result that activated without a value, then
/// got one, still moves from on track to at risk to off track as time goes by — and so does its objective.
/// </summary>
public sealed class StatusRefreshTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Tenth = Demo.CycleStart + (Demo.CycleEnd - Demo.CycleStart) * 0.1;
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("status", Tenth, engine: o => o.StatusRefresh = TimeSpan.FromMilliseconds(100));
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task AStatusMovesWithTheClockOnceTheNodeHasAValue()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var objective = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Grow", Demo.Company));
        var kr = await cycle.CreateKeyResultAsync(new KeyResultDraft("Signups", Demo.Company, KeyResultKind.Increase, 0, 100, objective.Id));
        Assert.Equal(Status.NoData, (await _c.KeyResult(kr.Id).GetScoreAsync()).Status);
        await Task.Delay(300, TestContext.Current.CancellationToken); // a few refresh periods with no value: nothing to move

        // 20 % done at a tenth of the cycle: on track. No further input below, only the clock.
        await _c.KeyResult(kr.Id).CheckInAsync(Demo.CheckIn(20, at: _c.Clock.UtcNow));
        var onTrack = await _c.WaitForAsync(Demo.CycleId, s => Is(s, Status.OnTrack, kr.Id, objective.Id));
        Assert.True(Is(onTrack, Status.OnTrack, kr.Id, objective.Id), Describe(onTrack, kr.Id, objective.Id));

        _c.Clock.UtcNow = Demo.CycleStart + (Demo.CycleEnd - Demo.CycleStart) * 0.4; // 0.2 behind the pace
        var atRisk = await _c.WaitForAsync(Demo.CycleId, s => Is(s, Status.AtRisk, kr.Id, objective.Id));
        Assert.True(Is(atRisk, Status.AtRisk, kr.Id, objective.Id), Describe(atRisk, kr.Id, objective.Id));

        _c.Clock.UtcNow = Demo.CycleStart + (Demo.CycleEnd - Demo.CycleStart) * 0.6; // 0.4 behind
        var offTrack = await _c.WaitForAsync(Demo.CycleId, s => Is(s, Status.OffTrack, kr.Id, objective.Id));
        Assert.True(Is(offTrack, Status.OffTrack, kr.Id, objective.Id), Describe(offTrack, kr.Id, objective.Id));
        Assert.Equal(0.2, offTrack.Scores[kr.Id].Progress, 9);
    }

    private static bool Is(CycleSnapshot s, Status status, params string[] ids) =>
        ids.All(id => s.Scores.TryGetValue(id, out var score) && score.Status == status);

    private static string Describe(CycleSnapshot s, params string[] ids) =>
        string.Join(", ", ids.Select(id => $"{id}: {(s.Scores.TryGetValue(id, out var score) ? score.Status : "none")}"));
}
