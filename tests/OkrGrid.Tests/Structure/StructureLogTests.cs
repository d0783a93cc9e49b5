using OkrGrid.Tests.Engine;

namespace OkrGrid.Tests.Structure;

/// <summary>
/// The structure log under concurrency and failure: a planning burst of concurrent changes all land (batched commits,
/// no loop slips through between validations); a commit that fails takes back its changes and everything staged after
/// them, in order, with no trace in the live structure or after a restart; a log row that does not decode stops the
/// cycle's start with a message naming the cycle and the row instead of running on a different structure.
/// </summary>
public sealed class StructureLogTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("structure", Demo.Now);
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task APlanningBurstLandsEveryAcknowledgedChangeAndNoLoop()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var roots = new List<string>();
        for (int i = 0; i < 4; i++) roots.Add((await cycle.CreateObjectiveAsync(new ObjectiveDraft($"Root {i}", Demo.Company))).Id);
        var created = new System.Collections.Concurrent.ConcurrentBag<(string Id, string Parent)>();
        var loopsRefused = 0;
        // 64 clients at once: each creates a chain of objectives under a root and tries to close a loop through it.
        await Parallel.ForEachAsync(Enumerable.Range(0, 64), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (w, _) =>
        {
            var parent = roots[w % roots.Count];
            var chain = new List<string>();
            for (int i = 0; i < 5; i++)
            {
                var o = await cycle.CreateObjectiveAsync(new ObjectiveDraft($"W{w} {i}", Demo.Company, Parents: [new ParentLink(parent)]));
                created.Add((o.Id, parent));
                chain.Add(o.Id);
                parent = o.Id;
            }
            try
            {
                await cycle.AlignObjectiveAsync(chain[0], [new ParentLink(chain[^1])]);
                Assert.Fail($"aligning {chain[0]} under its own descendant {chain[^1]} was accepted");
            }
            catch (OkrRejectedException e) when (e.Kind == RejectionKind.Conflict) { Interlocked.Increment(ref loopsRefused); }
        });
        Assert.Equal(64, loopsRefused);
        var snapshot = await cycle.GetSnapshotAsync();
        Assert.Equal(64 * 5 + 4, snapshot.Objectives.Length);
        foreach (var (id, parent) in created) Assert.Contains(new Edge(parent, id, 1), snapshot.Edges);
        Assert.Equal(64 * 5, snapshot.Edges.Length);

        // The same after a restart, read back from the log; and the batches were shared: fewer commits than changes
        // would show as rows committed in the same transaction (equal recorded_at).
        var rows = await ScalarAsync<long>($"select count(*) from okr_structure_log where cycle_id = '{Demo.CycleId}'");
        var commits = await ScalarAsync<long>($"select count(distinct recorded_at) from okr_structure_log where cycle_id = '{Demo.CycleId}'");
        Assert.True(commits < rows, $"{rows} changes took {commits} commits: none was shared");
        await _c.StopAsync();
        await _c.StartAsync();
        var again = await _c.Cycle(Demo.CycleId).GetSnapshotAsync();
        Assert.Equal(snapshot.Edges.Order(EdgeOrder), again.Edges.Order(EdgeOrder));
    }

    [Fact]
    public async Task AFailedCommitTakesBackItsChangesAndEverythingStagedBehindThem()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var root = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Fail root", Demo.Company));
        var kr = await cycle.CreateKeyResultAsync(new KeyResultDraft("Fail KR", Demo.Company, KeyResultKind.Increase, 0, 100, root.Id));
        var before = await cycle.GetSnapshotAsync();

        // The database refuses every structure row from now on (a real error from PostgreSQL, not a fake store).
        await ExecuteAsync("""
            create or replace function okr_test_refuse() returns trigger language plpgsql as
            $$ begin raise exception 'refused by the test'; end $$;
            create trigger okr_test_refuse before insert on okr_structure_log for each row execute function okr_test_refuse();
            """);
        var attempts = Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? cycle.CreateObjectiveAsync(new ObjectiveDraft($"Lost {i}", Demo.Company, Parents: [new ParentLink(root.Id)]))
            : (Task)cycle.MoveKeyResultAsync(kr.Id, null)).ToList();
        foreach (var attempt in attempts)
            await Assert.ThrowsAnyAsync<Exception>(() => attempt);

        var after = await cycle.GetSnapshotAsync();
        Assert.Equal(before.Objectives.Select(o => o.Id).Order(), after.Objectives.Select(o => o.Id).Order());
        Assert.Equal(before.Edges.Order(EdgeOrder), after.Edges.Order(EdgeOrder));

        // Once the database takes rows again the cycle goes on from where it was, numbering on without a gap.
        await ExecuteAsync("drop trigger okr_test_refuse on okr_structure_log");
        await cycle.MoveKeyResultAsync(kr.Id, null);
        Assert.DoesNotContain((await cycle.GetSnapshotAsync()).Edges, e => e.ChildId == kr.Id);
        await _c.StopAsync();
        await _c.StartAsync();
        var again = await _c.Cycle(Demo.CycleId).GetSnapshotAsync();
        Assert.DoesNotContain(again.Edges, e => e.ChildId == kr.Id);
        Assert.DoesNotContain(again.Objectives, o => o.Title.StartsWith("Lost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALogRowThatDoesNotDecodeStopsTheStartNamingTheCycleAndRow()
    {
        await _c.Organisation.CreateCycleAsync(new CycleDefinition("broken", "Broken", Demo.CycleStart, Demo.CycleEnd));
        var cycle = _c.Cycle("broken");
        var o = await cycle.CreateObjectiveAsync(new ObjectiveDraft("One", Demo.Company));
        await cycle.CreateKeyResultAsync(new KeyResultDraft("Two", Demo.Company, KeyResultKind.Increase, 0, 10, o.Id));
        await _c.StopAsync();
        await ExecuteAsync("update okr_structure_log set ops = '\\x00ff10'::bytea where cycle_id = 'broken' and seq = 3");
        await _c.StartAsync();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => _c.Cycle("broken").GetSnapshotAsync());
        var message = error.ToString();
        Assert.Contains("Cycle 'broken'", message);
        Assert.Contains("sequence 3", message);
        // Other cycles are not affected.
        Assert.NotEmpty((await _c.Cycle(Demo.CycleId).GetInfoAsync()).Id);
    }

    private static readonly Comparer<Edge> EdgeOrder = Comparer<Edge>.Create((a, b) =>
        string.CompareOrdinal($"{a.ParentId}>{a.ChildId}:{a.Weight}", $"{b.ParentId}>{b.ChildId}:{b.Weight}"));

    private Task ExecuteAsync(string sql) => TestDatabase.ExecuteAsync(_c.ConnectionString, sql);

    private Task<T> ScalarAsync<T>(string sql) => TestDatabase.ScalarAsync<T>(_c.ConnectionString, sql);
}
