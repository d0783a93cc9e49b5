using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using OkrGrid.Tests.Engine;
using OkrGrid.Web.Seeding;

namespace OkrGrid.Tests.Structure;

/// <summary>
/// A database written by the version before the structure log (Fixtures/legacy-demo-ca55289.sql.gz: the demo company,
/// its cycle stored as one grain-state row) under the current version: the cycle moves into the log on first use with
/// nothing lost, keeps working (changes, time travel, audit numbering), survives a restart, and the old row is left alone.
/// </summary>
public sealed class LegacyMigrationTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private const string CycleId = "2026-q4";
    private static readonly Dictionary<string, string> Quiet = new() { ["Demo__Activity"] = "false" };
    private string _db = "";

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync("legacy");
        await LoadFixtureAsync(_db, "legacy-demo-ca55289.sql.gz");
    }

    public async ValueTask DisposeAsync() => await TestDatabase.DropAsync(_db);

    [Fact]
    public async Task ACycleStoredAsOneRowMovesIntoTheLogWithNothingLostAndKeepsWorking()
    {
        var ct = TestContext.Current.CancellationToken;
        var legacyRow = await ScalarAsync<string>("select md5(payload_binary) from okr_grain_state where grain_type_string = 'cycle'");
        var (auditCount, auditSeq) = await AuditAsync();
        Assert.True(auditSeq > 0, "the fixture's cycle has audited changes");

        // The structure the old version seeded: the demo company's objectives, key results and alignments.
        var objectives = DemoCompany.Objectives.Select(o => NodeIds.Compose(CycleId, o.Id)).Order().ToList();
        var keyResults = DemoCompany.Objectives.SelectMany(o => o.KeyResults).Select(k => NodeIds.Compose(CycleId, k.Id)).Order().ToList();
        var edges = DemoCompany.Objectives.SelectMany(o =>
                o.Parents.Select(p => $"{NodeIds.Compose(CycleId, p.ObjectiveId)}>{NodeIds.Compose(CycleId, o.Id)}:{p.Weight}")
                    .Concat(o.KeyResults.Select(k => $"{NodeIds.Compose(CycleId, o.Id)}>{NodeIds.Compose(CycleId, k.Id)}:{k.Weight}")))
            .Order().ToList();

        string movedKr, from, to;
        DateTimeOffset beforeMove;
        await using (var web = await WebProcess.StartAsync(_db, environment: Quiet))
        {
            var snapshot = (await web.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{CycleId}/snapshot", Json, ct))!;
            Assert.Equal(objectives, snapshot.Objectives.Select(o => o.Id).Order());
            Assert.Equal(keyResults, snapshot.KeyResults.Select(k => k.Id).Order());
            Assert.Equal(edges, snapshot.Edges.Select(e => $"{e.ParentId}>{e.ChildId}:{e.Weight}").Order());
            await AssertScoresFromFactsAsync(web.Client, ct);

            // One snapshot, effective from the cycle's start, numbered after the old row's audit entries; no log rows yet.
            Assert.Equal(1L, await ScalarAsync<long>($"select count(*) from okr_structure_snapshot where cycle_id = '{CycleId}'"));
            Assert.Equal(auditSeq, await ScalarAsync<long>($"select seq from okr_structure_snapshot where cycle_id = '{CycleId}'"));
            Assert.Equal(snapshot.Cycle.Definition.Start, new DateTimeOffset(await ScalarAsync<DateTime>($"select at from okr_structure_snapshot where cycle_id = '{CycleId}'"), TimeSpan.Zero));
            var atStart = (await web.Client.GetFromJsonAsync<CycleSnapshot>(
                $"/api/cycles/{CycleId}/snapshot?at={Uri.EscapeDataString(snapshot.Cycle.Definition.Start.ToString("O"))}", Json, ct))!;
            Assert.Equal(edges, atStart.Edges.Select(e => $"{e.ParentId}>{e.ChildId}:{e.Weight}").Order());

            // A change after the migration: one log row, audited with the next number, and the past still answers.
            var edge = snapshot.Edges.First(e => keyResults.Contains(e.ChildId));
            (movedKr, from) = (edge.ChildId, edge.ParentId);
            to = objectives.First(o => o != from);
            beforeMove = DateTimeOffset.UtcNow;
            await Task.Delay(20, ct);
            using (var move = await web.Client.PutAsJsonAsync($"/api/key-results/{movedKr}/objective", new { objectiveId = to, weight = 2 }, ct))
                Assert.Equal(HttpStatusCode.NoContent, move.StatusCode);
            Assert.Equal(auditSeq + 1, await ScalarAsync<long>($"select max(seq) from okr_structure_log where cycle_id = '{CycleId}'"));
            for (var i = 0; i < 50 && (await AuditAsync()).Count == auditCount; i++) await Task.Delay(50, ct);
            Assert.Equal((auditCount + 1, auditSeq + 1), await AuditAsync());
            var then = (await web.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{CycleId}/snapshot?at={Uri.EscapeDataString(beforeMove.ToString("O"))}", Json, ct))!;
            Assert.Contains(then.Edges, e => e.ParentId == from && e.ChildId == movedKr);
        }

        // Restarted: the snapshot plus the log's row, with the move; the old row as it was.
        await using (var again = await WebProcess.StartAsync(_db, environment: Quiet))
        {
            var snapshot = (await again.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{CycleId}/snapshot", Json, ct))!;
            Assert.Contains(snapshot.Edges, e => e == new Edge(to, movedKr, 2));
            Assert.DoesNotContain(snapshot.Edges, e => e.ParentId == from && e.ChildId == movedKr);
            Assert.Equal(edges.Count, snapshot.Edges.Length);
            await AssertScoresFromFactsAsync(again.Client, ct);
        }
        Assert.Equal(legacyRow, await ScalarAsync<string>("select md5(payload_binary) from okr_grain_state where grain_type_string = 'cycle'"));
    }

    /// <summary>Every node equals the pure reference over the stored facts (check-ins, KPI values) once the engine settles.</summary>
    private static async Task AssertScoresFromFactsAsync(HttpClient client, CancellationToken ct)
    {
        List<string> diffs = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var s = (await client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{CycleId}/snapshot", Json, ct))!;
            var kpis = new Dictionary<string, double?>();
            foreach (var kpiId in s.KeyResults.Select(k => k.KpiId).OfType<string>().Distinct())
                kpis[kpiId] = (await client.GetFromJsonAsync<KpiView>($"/api/kpis/{kpiId}", Json, ct))!.State.Latest;
            var checkIns = new Dictionary<string, ImmutableArray<CheckIn>>();
            foreach (var kr in s.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked))
                checkIns[kr.Id] = (await client.GetFromJsonAsync<ImmutableArray<CheckIn>>($"/api/key-results/{kr.Id}/check-ins", Json, ct))!;
            Assert.True(checkIns.Values.Sum(c => c.Length) >= 300, "the fixture's check-ins are all there");
            var elapsed = Rules.ExpectedProgress(s.Cycle.Definition.Start, s.Cycle.Definition.End, s.TakenAt);
            var reference = GraphScorer.Score(s.Objectives, s.KeyResults, s.Edges, kr => kr.Kind == KeyResultKind.KpiLinked
                ? KeyResultInput.FromKpi(kr, kpis[kr.KpiId!], null)
                : KeyResultInput.FromCheckIns(kr, checkIns[kr.Id]), elapsed, s.Policy);
            diffs = reference.Where(r => !s.Scores.TryGetValue(r.Key, out var a) || Math.Abs(a.Progress - r.Value.Progress) > 1e-9 || a.NoData != r.Value.NoData)
                .Select(r => $"{r.Key}: engine {s.Scores.GetValueOrDefault(r.Key)?.Progress} vs reference {r.Value.Progress}").ToList();
            if (diffs.Count == 0) return;
            await Task.Delay(100, ct);
        }
        Assert.Fail(string.Join("\n", diffs));
    }

    private async Task<(long Count, long Seq)> AuditAsync() =>
        (await ScalarAsync<long>($"select count(*) from okr_audit where source = 'cycle:{CycleId}'"),
         await ScalarAsync<long>($"select coalesce(max(source_seq), 0) from okr_audit where source = 'cycle:{CycleId}'"));

    private Task<T> ScalarAsync<T>(string sql) => TestDatabase.ScalarAsync<T>(_db, sql);

    /// <summary>Runs a plain pg_dump (with --inserts) into the database; psql's own commands (\restrict) are left out.</summary>
    private static async Task LoadFixtureAsync(string connectionString, string name)
    {
        await using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var text = new StreamReader(gzip);
        var sql = string.Join("\n", (await text.ReadToEndAsync()).Split('\n').Where(l => !l.StartsWith('\\')));
        await TestDatabase.ExecuteAsync(connectionString, sql, timeoutSeconds: 300);
    }
}
