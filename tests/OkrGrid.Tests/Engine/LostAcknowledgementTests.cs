using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Engine.Journal;

namespace OkrGrid.Tests.Engine;

/// <summary>
/// A journal commit whose acknowledgement is lost (the database committed, the answer never came back) while the host
/// stays up: the client is told it failed and retries with the same key. The retry must find the check-in committed
/// and the key result must have it — in its score, its history, its objective — now, not at its next activation.
/// </summary>
public sealed class LostAcknowledgementTests : IAsyncLifetime
{
    private readonly AckLosingJournal.Switch _lose = new();
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("lostack", Demo.Now, silo: silo =>
        {
            silo.Services.AddSingleton(_lose);
            silo.Services.AddSingleton<IJournal>(sp => new AckLosingJournal(sp.GetRequiredService<PostgresJournal>(), sp.GetRequiredService<AckLosingJournal.Switch>()));
        });
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task ARetryAfterALostAcknowledgementAppliesTheCommittedCheckIn()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var objective = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Grow", Demo.Team("growth")));
        var kr = await cycle.CreateKeyResultAsync(new KeyResultDraft("Signups", Demo.Team("growth"), KeyResultKind.Increase, 0, 100, objective.Id));
        await _c.KeyResult(kr.Id).CheckInAsync(Demo.CheckIn(10, id: "first"));

        _lose.Next = true;
        var checkIn = Demo.CheckIn(60, 0.8, id: "lost-ack");
        await Assert.ThrowsAnyAsync<Exception>(() => _c.KeyResult(kr.Id).CheckInAsync(checkIn)); // committed, but the answer was lost
        Assert.True(_lose.Lost);

        var retry = await _c.KeyResult(kr.Id).CheckInAsync(checkIn);
        Assert.False(retry.Applied); // it was applied once, by the first attempt
        Assert.Equal(60, retry.Score.Value);
        var history = await _c.KeyResult(kr.Id).GetHistoryAsync();
        Assert.Equal(["first", "lost-ack"], history.Select(c => c.ClientId));
        var settled = await _c.WaitQuietAsync(Demo.CycleId);
        Assert.Equal(0.6, settled.Scores[objective.Id].Progress, 9);

        // The same key with other content is refused, and the committed one stands.
        var other = await Assert.ThrowsAsync<OkrRejectedException>(() => _c.KeyResult(kr.Id).CheckInAsync(checkIn with { Value = 61 }));
        Assert.Equal(RejectionKind.Mismatch, other.Kind);
        Assert.Equal(60, (await _c.KeyResult(kr.Id).GetScoreAsync()).Value);
    }
}

/// <summary>The real journal, except that when told, it commits the next append and then fails as if the answer were lost.</summary>
public sealed class AckLosingJournal(PostgresJournal journal, AckLosingJournal.Switch lose) : IJournal
{
    public sealed class Switch
    {
        public volatile bool Next;
        public volatile bool Lost;
    }

    public async Task<bool> AppendAsync(JournalEntry entry)
    {
        var appended = await journal.AppendAsync(entry);
        if (!lose.Next) return appended;
        lose.Next = false;
        lose.Lost = appended;
        throw new TimeoutException("The connection dropped before the commit was acknowledged (simulated).");
    }

    public Task<JournalEntry?> GetAsync(string nodeId, string entryId) => journal.GetAsync(nodeId, entryId);
    public Task<IReadOnlyList<JournalEntry>> LoadAsync(string nodeId) => journal.LoadAsync(nodeId);
    public Task<IReadOnlyDictionary<string, LatestEntry>> LatestAsync(IReadOnlyCollection<string> nodeIds, DateTimeOffset? asOf = null, string? mostOfCycle = null) =>
        journal.LatestAsync(nodeIds, asOf, mostOfCycle);
}
