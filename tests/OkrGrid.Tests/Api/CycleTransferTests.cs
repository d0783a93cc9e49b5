using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using OkrGrid.Silo.Storage;
using OkrGrid.Web.Porting;

namespace OkrGrid.Tests.Api;

/// <summary>A second web host on a database of its own, empty: where an export is imported to see that nothing is lost.</summary>
public sealed class EmptyHost : IAsyncLifetime
{
    private string _database = "";
    public WebProcess Web { get; private set; } = null!;
    public HttpClient Client => Web.Client;

    public async ValueTask InitializeAsync()
    {
        _database = await ScratchDatabases.CreateAsync("port");
        Web = await WebProcess.StartAsync(_database, seedDemo: false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Web is not null) await Web.DisposeAsync();
        if (_database.Length > 0) await ScratchDatabases.DropAsync(_database);
    }
}

/// <summary>
/// Export → import into an empty database gives the same cycle (structure, scores, check-ins, KPIs), as JSON and as
/// CSV; a dry run changes nothing; importing the same export again is a no-op; a malformed file is refused with its
/// file, row and column, and changes nothing.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CycleTransferTests(ApiHost host, EmptyHost empty) : ApiTestBase(host), IClassFixture<EmptyHost>
{
    private static object Company => new { kind = "company", id = "lumen" };
    private static object Team(string id) => new { kind = "team", id };
    private static object Person(string id) => new { kind = "person", id };

    /// <summary>A cycle with what an export must carry: several levels, two parents with weights, every kind of key result, check-ins with awkward text and numbers.</summary>
    private async Task<string> BuildCycleAsync()
    {
        var cycle = NewId("port");
        await CreateAsync<CycleInfo>("/api/cycles", new { id = cycle, name = "Port, \"quoted\" & ünïcode", start = Host.CycleStart, end = Host.CycleEnd }, "/api/cycles/");
        var kpi = NewId("kpi");
        using (var r = await SendAsync(HttpMethod.Post, "/api/kpis", new
        {
            id = kpi, name = "Weekly, active users", unit = "users", direction = "higherIsBetter",
            thresholds = new { green = 1000.5, yellow = 800 }, baseline = 700, owner = Team("eng")
        })) await AssertStatusAsync(HttpStatusCode.Created, r);
        var now = DateTimeOffset.UtcNow;
        foreach (var (value, days) in new[] { (812.25, 6), (0.1 + 0.2 + 900, 3), (955.125, 1) })
            using (var r = await SendAsync(HttpMethod.Post, $"/api/kpis/{kpi}/measurements", new { value, at = now.AddDays(-days), note = $"week −{days}", clientId = NewId("m") }))
                await AssertStatusAsync(HttpStatusCode.Created, r);

        async Task<string> Objective(string local, object owner, params object[] parents) =>
            (await CreateAsync<ObjectiveDefinition>("/api/objectives", new
            {
                cycleId = cycle, id = local, title = $"Objective {local}, \"the\" one", owner,
                description = "Line one\nline two, with a comma", parents
            }, "/api/objectives/")).Id;
        async Task<string> KeyResult(string local, string objective, string kind, double start, double target, double weight = 1, string? kpiId = null) =>
            (await CreateAsync<KeyResultDefinition>("/api/key-results", new
            {
                id = local, title = $"KR {local}", owner = Person("ana"), kind, start, target,
                objectiveId = objective, weight, unit = "%", kpiId
            }, "/api/key-results/")).Id;

        var top = await Objective("top", Company);
        var side = await Objective("side", Company);
        var eng = await Objective("eng", Team("eng"), new { parentId = top, weight = 2.5 }, new { parentId = side, weight = 0.1 });
        var platform = await Objective("platform", Team("platform"), new { parentId = eng, weight = 1 });
        var up = await KeyResult("up", eng, "increase", 0.1, 0.7);
        var down = await KeyResult("down", platform, "decrease", 100, 12.5, weight: 3);
        var done = await KeyResult("done", platform, "milestone", 0, 1);
        await KeyResult("linked", top, "kpiLinked", 700, 1200, kpiId: kpi);
        await KeyResult("quiet", side, "stayAtOrAbove", 0, 50);

        async Task CheckIn(string kr, double value, double? confidence, string note, double daysAgo)
        {
            using var r = await SendAsync(HttpMethod.Post, $"/api/key-results/{kr}/check-ins", new { value, confidence, note, at = now.AddDays(-daysAgo), clientId = NewId("ci") });
            await AssertStatusAsync(HttpStatusCode.Created, r);
        }
        await CheckIn(up, 0.2, 0.5, "first, \"quoted\"\nsecond line", 5);
        await CheckIn(up, 0.1 + 0.2, null, "", 2.5);
        await CheckIn(down, 80.123456789012345, 0.9, "ünïcode ✓", 4);
        await CheckIn(down, 64.5, 0.75, "=1+1", 1);
        await CheckIn(done, 1, 1, "done", 0.5);
        return cycle;
    }

    [Fact]
    public async Task AJsonExportImportedIntoAnEmptyDatabaseGivesTheSameCycle() => await RoundTripAsync("json");

    [Fact]
    public async Task ACsvExportImportedIntoAnEmptyDatabaseGivesTheSameCycle() => await RoundTripAsync("csv");

    private async Task RoundTripAsync(string format)
    {
        var cycle = await BuildCycleAsync();
        var export = await ExportAsync(Client, cycle, format);
        var target = empty.Client;
        Assert.Equal(HttpStatusCode.NotFound, (await target.GetAsync($"/api/cycles/{cycle}", Ct)).StatusCode);

        // The dry run says what would happen, and nothing does.
        var dry = await ImportAsync(target, cycle, export, format, dryRun: true);
        Assert.Empty(dry.Refusals);
        Assert.False(dry.Applied);
        Assert.Contains(dry.Creates, c => c.Kind == "cycle" && c.Id == cycle);
        Assert.Equal(4, dry.Creates.Count(c => c.Kind == "objective"));
        Assert.Equal(5, dry.Creates.Count(c => c.Kind == "keyResult"));
        Assert.Equal(5, dry.CheckIns.Length);
        Assert.Equal(HttpStatusCode.NotFound, (await target.GetAsync($"/api/cycles/{cycle}", Ct)).StatusCode);

        var applied = await ImportAsync(target, cycle, export, format, dryRun: false);
        Assert.True(applied.Applied, string.Join("\n", applied.Refusals));

        // Same structure, same scores (once the imported check-ins have rolled up), same check-ins and measurements.
        var expected = await ComparableAsync(Client, cycle);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var actual = await ComparableAsync(target, cycle);
        while (actual != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
            actual = await ComparableAsync(target, cycle);
        }
        Assert.Equal(expected, actual);
        // And the target's own export is the source's, byte for byte but for when it was taken.
        Assert.Equal(Canonical(export, format), Canonical(await ExportAsync(target, cycle, format), format));

        // Importing the same export again changes nothing.
        var again = await ImportAsync(target, cycle, export, format, dryRun: true);
        Assert.True(again.NoChange, $"re-import is not a no-op: {string.Join("; ", again.Updates.Select(u => $"{u.Id}.{u.Field}: {u.Old} → {u.New}"))} {again.Moves.Length} moves {again.Creates.Length} creates {again.CheckIns.Length} check-ins");
        Assert.Empty(again.Refusals);
    }

    [Fact]
    public async Task ADryRunChangesNothingAndShowsCreatesUpdatesMovesAndCheckIns()
    {
        var cycle = await BuildCycleAsync();
        var doc = JsonNode.Parse(await ExportAsync(Client, cycle, "json"))!.AsObject();
        // Re-importing the export into its own cycle is a no-op, dry or applied.
        var same = await ImportAsync(Client, cycle, Encoding.UTF8.GetBytes(doc.ToJsonString()), "json", dryRun: true);
        Assert.True(same.NoChange);
        var before = await StateAsync(cycle);
        var applied = await ImportAsync(Client, cycle, Encoding.UTF8.GetBytes(doc.ToJsonString()), "json", dryRun: false);
        Assert.True(applied.Applied && applied.NoChange);
        Assert.Equal(before, await StateAsync(cycle));

        // Edited: a title, a moved key result, a new weight, a new objective found by its title path, a check-in.
        var objectives = doc["objectives"]!.AsArray();
        objectives.Single(o => (string?)o!["id"] == "side")!["title"] = "Side objective, renamed";
        objectives.Add(new JsonObject { ["path"] = "Objective top, \"the\" one / Brand new", ["title"] = "Brand new", ["ownerKind"] = "team", ["ownerId"] = "sales" });
        var alignment = doc["alignment"]!.AsArray();
        alignment.Single(e => (string?)e!["child"] == "quiet")!["parent"] = "eng";
        alignment.Single(e => (string?)e!["child"] == "eng" && (string?)e["parent"] == "top")!["weight"] = 4;
        alignment.Add(new JsonObject { ["parent"] = "top", ["child"] = "Objective top, \"the\" one / Brand new", ["weight"] = 1 });
        doc["checkIns"]!.AsArray().Add(new JsonObject { ["keyResult"] = "quiet", ["at"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("O"), ["value"] = 42 });
        var edited = Encoding.UTF8.GetBytes(doc.ToJsonString());

        var dry = await ImportAsync(Client, cycle, edited, "json", dryRun: true);
        Assert.Empty(dry.Refusals);
        Assert.Contains(dry.Updates, u => u.Id == "side" && u.Field == "title" && u.New == "Side objective, renamed");
        Assert.Contains(dry.Updates, u => u.Id == "eng" && u.Field.StartsWith("weight under", StringComparison.Ordinal) && u.Old == "2.5" && u.New == "4");
        var move = Assert.Single(dry.Moves);
        Assert.Equal("quiet", move.Id);
        Assert.Equal(["Objective side, \"the\" one (1)"], move.From);
        Assert.Equal(["Objective eng, \"the\" one (1)"], move.To);
        var created = Assert.Single(dry.Creates);
        Assert.Equal(("objective", "Brand new"), (created.Kind, created.Title));
        Assert.Equal(42, Assert.Single(dry.CheckIns).Value);
        Assert.Equal(before, await StateAsync(cycle)); // the dry run changed nothing

        var done = await ImportAsync(Client, cycle, edited, "json", dryRun: false);
        Assert.True(done.Applied);
        var snapshot = await GetAsync<CycleSnapshot>($"/api/cycles/{cycle}/snapshot");
        Assert.Equal("Side objective, renamed", snapshot.Objectives.Single(o => o.Id == $"{cycle}:side").Title);
        Assert.Contains(snapshot.Edges, e => e.ParentId == $"{cycle}:eng" && e.ChildId == $"{cycle}:quiet");
        Assert.Contains(snapshot.Edges, e => e.ParentId == $"{cycle}:top" && e.ChildId == $"{cycle}:eng" && e.Weight == 4);
        var brandNew = snapshot.Objectives.Single(o => o.Title == "Brand new");
        Assert.Contains(snapshot.Edges, e => e.ParentId == $"{cycle}:top" && e.ChildId == brandNew.Id);
        Assert.Equal(42, (await GetAsync<ImmutableArray<CheckIn>>($"/api/key-results/{cycle}:quiet/check-ins")).Single().Value);
        // The file without ids, imported again, finds the new objective by its path: nothing new.
        Assert.True((await ImportAsync(Client, cycle, edited, "json", dryRun: true)).NoChange);
        // A file of check-ins alone (no cycle part, no nodes) adds them; the structure stays as it was.
        var structure = (await GetAsync<CycleSnapshot>($"/api/cycles/{cycle}/snapshot")) with { Scores = new Dictionary<string, NodeScore>(), TakenAt = default, StructureVersion = 0 };
        var onlyCheckIns = $$"""{"format":"okrgrid.cycle/1","checkIns":[{"keyResult":"quiet","at":"{{DateTimeOffset.UtcNow.AddMinutes(-30):O}}","value":43.5,"note":"alone"}]}""";
        var added = await ImportAsync(Client, cycle, Encoding.UTF8.GetBytes(onlyCheckIns), "json", dryRun: false);
        Assert.True(added.Applied);
        Assert.Equal(43.5, Assert.Single(added.CheckIns).Value);
        Assert.Equal([42, 43.5], (await GetAsync<ImmutableArray<CheckIn>>($"/api/key-results/{cycle}:quiet/check-ins")).Select(c => c.Value));
        var after = (await GetAsync<CycleSnapshot>($"/api/cycles/{cycle}/snapshot")) with { Scores = new Dictionary<string, NodeScore>(), TakenAt = default, StructureVersion = 0 };
        Assert.Equal(structure.Objectives, after.Objectives);
        Assert.Equal(structure.KeyResults, after.KeyResults);
        Assert.Equal(structure.Edges, after.Edges);
        // The import is in the audit trail under the admin.
        var audit = await Client.GetStringAsync($"/api/audit?action=cycle.imported&limit=5", Ct);
        Assert.Contains(cycle, audit);
    }

    [Fact]
    public async Task AMalformedCsvIsRefusedWithItsFileRowAndColumnAndChangesNothing()
    {
        var cycle = await BuildCycleAsync();
        var before = await StateAsync(cycle);

        // A missing column: refused at the header.
        var missing = Zip(("objectives.csv", "id,owner_kind,owner_id\nx1,company,\n"));
        var refused = await RefusedAsync(cycle, missing);
        Assert.Contains(refused, r => r.File == "objectives.csv" && r.Row == 1 && r.Column == "title");

        // Rows that are wrong in every way the issue names, each named by file, row and column.
        var broken = Zip(
            ("objectives.csv", """
                id,title,owner_kind,owner_id
                a,Objective A,company,
                b,Objective B,team,eng
                c,Objective C,team,nowhere
                a,Objective A again,company,
                """),
            ("key-results.csv", """
                id,title,owner_kind,owner_id,kind,start,target,kpi_id
                k1,KR one,person,ana,increase,0,abc,
                k2,KR two,person,ana,kpiLinked,0,10,no-such-kpi
                """),
            ("alignment.csv", """
                parent,child,weight
                a,b,1
                b,a,1
                ghost,b,1
                a,k1,5000
                """),
            ("check-ins.csv", """
                key_result,at,value
                up,2026-01-01T00:00:00+00:00,1e999
                """));
        var rows = await RefusedAsync(cycle, broken);
        void Has(string file, int row, string column, string reason) =>
            Assert.True(rows.Any(r => r.File == file && r.Row == row && r.Column == column && r.Reason.Contains(reason, StringComparison.OrdinalIgnoreCase)),
                $"no refusal {file} row {row}, {column} ({reason}) among:\n{string.Join("\n", rows)}");
        Has("objectives.csv", 4, "owner_id", "not a team");
        Has("objectives.csv", 5, "id", "listed twice");
        Has("key-results.csv", 2, "target", "not a number");
        Has("key-results.csv", 3, "kpi_id", "not a KPI");
        Has("alignment.csv", 3, "parent", "loop");
        Has("alignment.csv", 4, "parent", "unknown parent");
        Has("alignment.csv", 5, "weight", "at most 1000");
        Has("check-ins.csv", 2, "value", "");
        Assert.Equal(before, await StateAsync(cycle));

        // As JSON: the same refusals name the array element and field.
        var json = """{"format":"okrgrid.cycle/1","objectives":[{"id":"j1","title":"J","ownerKind":"company"}],"alignment":[{"parent":"j1","child":"j1","weight":-1}]}""";
        using var response = await SendAsync(HttpMethod.Post, $"/api/cycles/{cycle}/import", json);
        await AssertStatusAsync(HttpStatusCode.BadRequest, response);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!;
        Assert.Equal("alignment[0].weight", (string?)problem["field"]);
        Assert.Contains("negative", (string?)problem["reason"]);
        Assert.Equal(before, await StateAsync(cycle));

        // Not an export at all.
        var wrong = await ImportAsync(Client, cycle, Encoding.UTF8.GetBytes("""{"format":"viva-goals/2"}"""), "json", dryRun: true);
        Assert.Contains(wrong.Refusals, r => r.Column == "format" && r.Reason.Contains("viva-goals/2"));
        Assert.Equal(before, await StateAsync(cycle));
    }

    [Fact]
    public async Task ImportIsForAdminsAndExportForReaders()
    {
        var cycle = await BuildCycleAsync();
        var export = await ExportAsync(Client, cycle, "json");
        using var asMember = new ByteArrayContent(export);
        asMember.Headers.ContentType = new("application/json");
        using var refused = await Host.ClientOf("ana").PostAsync($"/api/cycles/{cycle}/import?dryRun=true", asMember, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.NotNull((await refused.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!["field"]);
        using var read = await Host.ClientOf("ana").GetAsync($"/api/cycles/{cycle}/export?format=csv", Ct);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("application/zip", read.Content.Headers.ContentType?.MediaType);
        using var badFormat = await Client.GetAsync($"/api/cycles/{cycle}/export?format=xlsx", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badFormat.StatusCode);
        Assert.Equal("format", (string?)(await badFormat.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!["field"]);
    }

    // ---- Helpers ---------------------------------------------------------------------------------------------

    private static async Task<byte[]> ExportAsync(HttpClient client, string cycle, string format)
    {
        using var response = await client.GetAsync($"/api/cycles/{cycle}/export?format={format}", Ct);
        await AssertStatusAsync(HttpStatusCode.OK, response);
        Assert.Equal(format == "json" ? "application/json" : "application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(format == "json" ? ".json" : ".zip", response.Content.Headers.ContentDisposition?.FileName ?? "");
        return await response.Content.ReadAsByteArrayAsync(Ct);
    }

    private static async Task<ImportReport> ImportAsync(HttpClient client, string cycle, byte[] content, string format, bool dryRun)
    {
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new(format == "json" ? "application/json" : "application/zip");
        using var response = await client.PostAsync($"/api/cycles/{cycle}/import?dryRun={(dryRun ? "true" : "false")}", body, Ct);
        await AssertStatusAsync(HttpStatusCode.OK, response);
        return (await response.Content.ReadFromJsonAsync<ImportReport>(Json, Ct))!;
    }

    /// <summary>Applies files as a multipart form (as a browser uploads them): 400 with every refusal listed; returns them.</summary>
    private async Task<List<Refusal>> RefusedAsync(string cycle, byte[] zip)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(zip);
        file.Headers.ContentType = new("application/zip");
        form.Add(file, "files", "broken.zip");
        using var response = await Client.PostAsync($"/api/cycles/{cycle}/import", form, Ct);
        await AssertStatusAsync(HttpStatusCode.BadRequest, response);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Json, Ct))!;
        Assert.NotNull(problem["field"]);
        Assert.NotNull(problem["errors"]);
        return System.Text.Json.JsonSerializer.Deserialize<List<Refusal>>(problem["refusals"], Json)!;
    }

    private static byte[] Zip(params (string Name, string Text)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, text) in files)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n")));
            }
        return buffer.ToArray();
    }

    /// <summary>The cycle's structure and check-ins (not its scores, which follow the clock), the organisation and the KPIs' measurements.</summary>
    private async Task<string> StateAsync(string cycle)
    {
        var snapshot = (await Client.GetFromJsonAsync<JsonObject>($"/api/cycles/{cycle}/snapshot", Json, Ct))!;
        snapshot.Remove("scores");
        snapshot.Remove("takenAt");
        var parts = new List<string> { snapshot.ToJsonString(), await Client.GetStringAsync("/api/organisation", Ct), await Client.GetStringAsync("/api/kpis", Ct) };
        foreach (var kr in snapshot["keyResults"]!.AsArray()) parts.Add(await Client.GetStringAsync($"/api/key-results/{kr!["id"]}/check-ins", Ct));
        return string.Join("\n", parts);
    }

    /// <summary>
    /// What must be equal after a round trip: the cycle's definition, objectives, key results and edges; every node's
    /// score but its version (a count of this database's changes); each key result's check-ins; the KPIs' measurements.
    /// </summary>
    private static async Task<string> ComparableAsync(HttpClient client, string cycle)
    {
        var snapshot = (await client.GetFromJsonAsync<JsonObject>($"/api/cycles/{cycle}/snapshot", Json, Ct))!;
        snapshot.Remove("takenAt");
        snapshot.Remove("structureVersion");
        foreach (var (_, score) in snapshot["scores"]!.AsObject())
        {
            score!.AsObject().Remove("version");
            score.AsObject().Remove("traces");
        }
        var scores = new JsonObject(snapshot["scores"]!.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        snapshot["scores"] = scores;
        var parts = new List<string> { snapshot.ToJsonString() };
        foreach (var kr in snapshot["keyResults"]!.AsArray()) parts.Add(await client.GetStringAsync($"/api/key-results/{kr!["id"]}/check-ins", Ct));
        foreach (var kpi in snapshot["keyResults"]!.AsArray().Select(k => (string?)k!["kpiId"]).OfType<string>())
            parts.Add(await client.GetStringAsync($"/api/kpis/{kpi}/measurements", Ct));
        return string.Join("\n", parts);
    }

    /// <summary>An export without its moment: the JSON's exportedAt, or the zip's files' texts.</summary>
    private static string Canonical(byte[] export, string format)
    {
        if (format == "json")
        {
            var doc = JsonNode.Parse(export)!.AsObject();
            doc.Remove("exportedAt");
            return doc.ToJsonString();
        }
        using var zip = new ZipArchive(new MemoryStream(export), ZipArchiveMode.Read);
        return string.Join("\n", zip.Entries.OrderBy(e => e.FullName, StringComparer.Ordinal).Select(e =>
        {
            using var reader = new StreamReader(e.Open());
            return $"== {e.FullName}\n{reader.ReadToEnd()}";
        }));
    }
}
