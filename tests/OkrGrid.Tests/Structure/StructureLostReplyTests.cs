using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Engine.Structure;
using OkrGrid.Structure;
using OkrGrid.Tests.Engine;

namespace OkrGrid.Tests.Structure;

/// <summary>
/// A structural change's commit whose answer goes wrong while the host stays up: the rows landed but the answer was
/// lost (the change stands, is acknowledged, and the next one follows it), the commit failed (it is taken back, nothing
/// is written), or the database cannot even say which (taken back here, and the cycle reloads from its log).
/// </summary>
public sealed class StructureLostReplyTests : IAsyncLifetime
{
    private readonly ReplyLosingStructureStore.Switch _fault = new();
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("lostreply", Demo.Now, silo: silo =>
        {
            silo.Services.AddSingleton(_fault);
            silo.Services.AddSingleton<IStructureStore>(sp =>
                new ReplyLosingStructureStore(sp.GetRequiredService<StructureStore>(), sp.GetRequiredService<ReplyLosingStructureStore.Switch>()));
        });
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    private Task<KeyResultDefinition> CreateAsync(string title, string objectiveId) =>
        _c.Cycle(Demo.CycleId).CreateKeyResultAsync(new KeyResultDraft(title, Demo.Team("growth"), KeyResultKind.Increase, 0, 100, objectiveId));

    private async Task<string[]> TitlesAsync() =>
        [.. (await _c.Cycle(Demo.CycleId).GetSnapshotAsync()).KeyResults.Select(k => k.Title).Order()];

    [Fact]
    public async Task AChangeWhoseCommitAnswerIsLostStandsAndTheNextOneFollowsIt()
    {
        var objective = await _c.Cycle(Demo.CycleId).CreateObjectiveAsync(new ObjectiveDraft("Grow", Demo.Team("growth")));
        _fault.Next = ReplyLosingStructureStore.Fault.LoseAnswer;
        var landed = await CreateAsync("landed, answer lost", objective.Id); // the cycle asks the log, finds the rows: acknowledged
        Assert.Equal(ReplyLosingStructureStore.Fault.None, _fault.Next);
        await CreateAsync("after it", objective.Id);
        Assert.Equal(["after it", "landed, answer lost"], await TitlesAsync());

        var before = await _c.Cycle(Demo.CycleId).GetSnapshotAsync();
        await _c.StopAsync();
        await _c.StartAsync();
        var after = await _c.Cycle(Demo.CycleId).GetSnapshotAsync();
        Assert.Equal(before.KeyResults.Select(k => (k.Id, k.Title)), after.KeyResults.Select(k => (k.Id, k.Title)));
        Assert.Equal(before.Edges.Select(e => (e.ParentId, e.ChildId, e.Weight)), after.Edges.Select(e => (e.ParentId, e.ChildId, e.Weight)));
        Assert.Contains(after.KeyResults, k => k.Id == landed.Id);
    }

    [Fact]
    public async Task AChangeWhoseCommitFailsIsTakenBackAndTheNextOneTakesItsPlace()
    {
        var objective = await _c.Cycle(Demo.CycleId).CreateObjectiveAsync(new ObjectiveDraft("Grow", Demo.Team("growth")));
        _fault.Next = ReplyLosingStructureStore.Fault.FailCommit;
        await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync("never written", objective.Id));
        Assert.Empty(await TitlesAsync());
        await CreateAsync("written", objective.Id); // takes the sequence the failed one had: a duplicate would fail the append
        Assert.Equal(["written"], await TitlesAsync());

        await _c.StopAsync();
        await _c.StartAsync();
        Assert.Equal(["written"], await TitlesAsync());
    }

    [Fact]
    public async Task WhenTheDatabaseCannotSayWhetherAChangeLandedTheCycleReloadsItFromTheLog()
    {
        var objective = await _c.Cycle(Demo.CycleId).CreateObjectiveAsync(new ObjectiveDraft("Grow", Demo.Team("growth")));
        _fault.Next = ReplyLosingStructureStore.Fault.LoseAnswerAndCannotSay;
        // Not acknowledged: the caller is told it failed. It did land, and the cycle, reloading when idle, shows it —
        // never a structure that differs from the log.
        await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync("landed, unknown", objective.Id));
        var settled = await _c.WaitForAsync(Demo.CycleId, s => s.KeyResults.Any(k => k.Title == "landed, unknown"), TimeSpan.FromSeconds(30));
        Assert.Single(settled.KeyResults);
        await CreateAsync("after the reload", objective.Id);
        Assert.Equal(["after the reload", "landed, unknown"], await TitlesAsync());
    }
}

/// <summary>The real structure store, except that when told, its next append fails: before the commit, or after it as if the answer were lost.</summary>
public sealed class ReplyLosingStructureStore(StructureStore store, ReplyLosingStructureStore.Switch fault) : IStructureStore
{
    public enum Fault { None, LoseAnswer, FailCommit, LoseAnswerAndCannotSay }

    public sealed class Switch
    {
        public volatile Fault Next;
        public volatile bool CannotSay;
    }

    public async Task AppendAsync(string cycleId, IReadOnlyList<LoggedChange> changes)
    {
        var what = fault.Next;
        fault.Next = Fault.None;
        if (what == Fault.FailCommit) throw new TimeoutException("The connection dropped before the commit (simulated).");
        await store.AppendAsync(cycleId, changes);
        if (what == Fault.LoseAnswerAndCannotSay) fault.CannotSay = true;
        if (what is Fault.LoseAnswer or Fault.LoseAnswerAndCannotSay)
            throw new TimeoutException("The connection dropped before the commit was acknowledged (simulated).");
    }

    public Task<long> LastSeqAsync(string cycleId)
    {
        if (!fault.CannotSay) return store.LastSeqAsync(cycleId);
        fault.CannotSay = false;
        throw new TimeoutException("The database does not answer (simulated).");
    }

    public Task WriteSnapshotAsync(string cycleId, CycleStructureState state) => store.WriteSnapshotAsync(cycleId, state);
    public Task<StoredStructure> LoadLatestAsync(string cycleId) => store.LoadLatestAsync(cycleId);
    public Task<(CycleStructureState? Snapshot, IReadOnlyList<StructureChange> Changes)> LoadAsOfAsync(string cycleId, DateTimeOffset at) => store.LoadAsOfAsync(cycleId, at);
    public Task<IReadOnlyList<StructureChange>> LoadChangesAsync(string cycleId, long afterSeq, DateTimeOffset? until) => store.LoadChangesAsync(cycleId, afterSeq, until);
    public Task<IReadOnlyList<StructureChange>> LoadRangeAsync(string cycleId, long afterSeq, long upToSeq) => store.LoadRangeAsync(cycleId, afterSeq, upToSeq);
    public Task<long> SeqAtAsync(string cycleId, DateTimeOffset at) => store.SeqAtAsync(cycleId, at);
    public Task<DateTimeOffset?> FirstAtAsync(string cycleId) => store.FirstAtAsync(cycleId);
}
