using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OkrGrid.Web.Access;

namespace OkrGrid.Tests.Access;

/// <summary>
/// The audit trail is complete: after a random sequence of changes by several people (some of them refused), the
/// audit of a cycle, replayed from nothing, gives exactly its structure and every key result's latest check-in — and
/// each entry names who made it.
/// </summary>
[Collection(AccessCollection.Name)]
public sealed class AuditReplayTests(AccessHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static JsonSerializerOptions Json => AccessHost.Json;

    /// <summary>The people who act, as (demo account, their person, the owners they try to create for).</summary>
    private static readonly (string User, string[] Owners)[] People =
    [
        ("maya-okafor", ["company", "team:growth", "person:jonas-berg"]),
        ("daniel-reyes", ["team:product-eng", "team:platform", "person:tomasz-nowak", "company"]),
        ("sofia-alvarez", ["team:growth", "person:jonas-berg", "person:sofia-alvarez", "team:platform"]),
        ("jonas-berg", ["person:jonas-berg", "team:growth"]),
        ("tomasz-nowak", ["person:tomasz-nowak", "person:jonas-berg"]),
    ];

    [Theory]
    [InlineData(11)]
    [InlineData(23)]
    public async Task TheAuditOfACycleReplaysToItsStructureAndLatestCheckIns(int seed)
    {
        var rng = new Random(seed);
        var cycle = $"audit-{seed}-{Guid.NewGuid():N}"[..24];
        // Open and containing now (check-ins are back-dated up to two days), but started before the demo's quarter, so
        // it never becomes the current cycle that the other tests of this host (sharing it) read scorecards of.
        var start = DateTimeOffset.UtcNow.AddDays(-120);
        using (var created = await host.Admin.PostAsJsonAsync("/api/cycles", new { id = cycle, name = $"Audit {seed}", start, end = start.AddDays(200) }, Json, Ct))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var clients = new Dictionary<string, HttpClient>();
        foreach (var (user, _) in People)
            clients[user] = WebSessions.WithToken(host.Web.BaseAddress, await WebSessions.CreateTokenAsync(
                await WebSessions.DemoSignInAsync(host.Web.BaseAddress, user), $"audit {seed}", user == "maya-okafor" ? "admin" : "write"));

        var (done, refused) = (0, 0);
        for (var step = 0; step < 90; step++)
        {
            var (user, owners) = People[rng.Next(People.Length)];
            var snapshot = (await host.Admin.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycle}/snapshot", Json, Ct))!;
            var call = NextCall(rng, cycle, snapshot, owners);
            if (call is null) continue;
            using var request = new HttpRequestMessage(call.Value.Method, call.Value.Url);
            if (call.Value.Body is not null) request.Content = JsonContent.Create(call.Value.Body, options: Json);
            if (call.Value.Url.EndsWith("/check-ins", StringComparison.Ordinal)) request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            using var response = await clients[user].SendAsync(request, Ct);
            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"{call.Value.Method} {call.Value.Url} as {user}: {status} {await response.Content.ReadAsStringAsync(Ct)}");
            if (response.IsSuccessStatusCode) done++;
            else if (status == 403) refused++;
        }
        Assert.True(done >= 30 && refused >= 3, $"the sequence should both change things and be refused ({done} done, {refused} refused)");

        var entries = await AuditAsync(cycle);
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e.ActorId) || string.IsNullOrEmpty(e.ActorName) || string.IsNullOrEmpty(e.Via), $"{e.Id} names nobody"));
        Assert.All(entries.Where(e => e.Action != "cycle.created"), e => Assert.Contains(e.ActorId, People.Select(p => $"user:{p.User}")));
        var replayed = Replay(entries);

        var final = (await host.Admin.GetFromJsonAsync<JsonObject>($"/api/cycles/{cycle}/snapshot", Json, Ct))!;
        Assert.Equal(Nodes(final["objectives"]!), replayed.Objectives.Values.Select(Canonical).Order().ToList());
        Assert.Equal(Nodes(final["keyResults"]!), replayed.KeyResults.Values.Select(Canonical).Order().ToList());
        Assert.Equal(final["edges"]!.AsArray().Select(e => ((string)e!["parentId"]!, (string)e["childId"]!, (double)e["weight"]!)).Order().ToList(),
            replayed.Edges.Order().ToList());
        var scores = final["scores"]!.AsObject();
        foreach (var (kr, value) in replayed.Latest)
            Assert.Equal(value, (double?)scores[kr]?["value"]);
        foreach (var kr in replayed.KeyResults.Keys.Where(k => !replayed.Latest.ContainsKey(k)))
            Assert.True(scores[kr]?["noData"]?.GetValue<bool>() ?? true, $"{kr} has a value the audit never recorded");
        foreach (var client in clients.Values) client.Dispose();
    }

    private static List<string> Nodes(JsonNode array) => [.. array.AsArray().Select(n => Canonical(n!)).Order()];

    /// <summary>JSON with its object keys sorted (PostgreSQL's jsonb keeps keys in its own order).</summary>
    private static string Canonical(JsonNode node) => Sorted(node)?.ToJsonString() ?? "null";

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    private sealed record Replayed(Dictionary<string, JsonObject> Objectives, Dictionary<string, JsonObject> KeyResults,
        HashSet<(string, string, double)> Edges, Dictionary<string, double> Latest);

    /// <summary>The cycle rebuilt from its audit alone, oldest entry first (check-ins: the latest by the time they give).</summary>
    private static Replayed Replay(IEnumerable<AuditRecord> entries)
    {
        var objectives = new Dictionary<string, JsonObject>();
        var keyResults = new Dictionary<string, JsonObject>();
        var edges = new HashSet<(string Parent, string Child, double Weight)>();
        var checkIns = new Dictionary<string, (DateTimeOffset At, long Seq, double Value)>();
        (string, string, double) Edge(JsonNode e) => ((string)e["parentId"]!, (string)e["childId"]!, (double)e["weight"]!);
        JsonNode? After(AuditRecord e) => e.After is { } a ? JsonNode.Parse(a.GetRawText()) : null;
        JsonNode? Before(AuditRecord e) => e.Before is { } b ? JsonNode.Parse(b.GetRawText()) : null;
        void Detach(string id) => edges.RemoveWhere(x => x.Parent == id || x.Child == id);

        foreach (var e in entries.OrderBy(e => e.Id[0]).ThenBy(e => long.Parse(e.Id[1..], CultureInfo.InvariantCulture)))
        {
            var after = After(e);
            var subject = e.Subject!;
            switch (e.Action)
            {
                case "objective.created":
                    objectives[subject] = after!["objective"]!.AsObject();
                    foreach (var p in after["parents"]!.AsArray()) edges.Add(((string)p!["parentId"]!, subject, (double)p["weight"]!));
                    break;
                case "objective.edited":
                    objectives[subject] = after!.AsObject();
                    break;
                case "objective.aligned":
                    edges.RemoveWhere(x => x.Child == subject);
                    foreach (var p in after!.AsArray()) edges.Add(((string)p!["parentId"]!, subject, (double)p["weight"]!));
                    break;
                case "objective.deleted":
                    objectives.Remove(subject);
                    Detach(subject);
                    break;
                case "keyResult.created":
                    keyResults[subject] = after!["keyResult"]!.AsObject();
                    if ((string?)after["objectiveId"] is { } parent) edges.Add((parent, subject, (double)after["weight"]!));
                    break;
                case "keyResult.edited":
                    keyResults[subject] = after!.AsObject();
                    break;
                case "keyResult.moved":
                    edges.RemoveWhere(x => x.Child == subject);
                    if ((string?)after!["objectiveId"] is { } to) edges.Add((to, subject, (double)after["weight"]!));
                    break;
                case "keyResult.deleted":
                    keyResults.Remove(subject);
                    Detach(subject);
                    break;
                case "weight.changed":
                    edges.Remove(Edge(Before(e)!));
                    edges.Add(Edge(after!));
                    break;
                case "cycle.movesApplied":
                    foreach (var x in Before(e)!["removed"]!.AsArray()) edges.Remove(Edge(x!));
                    foreach (var x in after!["added"]!.AsArray()) edges.Add(Edge(x!));
                    break;
                case "keyResult.checkIn":
                    var at = DateTimeOffset.Parse((string)after!["at"]!, System.Globalization.CultureInfo.InvariantCulture);
                    var seq = long.Parse(e.Id[1..], CultureInfo.InvariantCulture);
                    if (!checkIns.TryGetValue(subject, out var held) || at > held.At || at == held.At && seq > held.Seq)
                        checkIns[subject] = (at, seq, (double)after["value"]!);
                    break;
                case "cycle.created":
                    break;
                default:
                    throw new InvalidOperationException($"the replay does not know {e.Action} ({e.Id})");
            }
        }
        // A deleted key result's check-ins stay in the journal; it has no value any more.
        return new(objectives, keyResults, [.. edges], checkIns.Where(c => keyResults.ContainsKey(c.Key)).ToDictionary(c => c.Key, c => c.Value.Value));
    }

    private async Task<List<AuditRecord>> AuditAsync(string cycle)
    {
        var all = new List<AuditRecord>();
        string? cursor = null;
        do
        {
            var page = (await host.Admin.GetFromJsonAsync<AuditPage>($"/api/audit?cycleId={cycle}&limit=100{(cursor is null ? "" : $"&cursor={cursor}")}", Json, Ct))!;
            all.AddRange(page.Entries);
            cursor = page.Next;
        } while (cursor is not null);
        Assert.Equal(all.Count, all.Select(e => e.Id).Distinct().Count()); // pages neither overlap nor repeat
        return all;
    }

    private readonly record struct Call(HttpMethod Method, string Url, object? Body);

    /// <summary>A random change someone might ask for; it may well be refused (not theirs, a loop), which the test wants too.</summary>
    private static Call? NextCall(Random rng, string cycle, CycleSnapshot s, string[] owners)
    {
        object Owner()
        {
            var o = owners[rng.Next(owners.Length)].Split(':');
            return o[0] == "company" ? new { kind = "company" } : new { kind = o[0], id = o[1] };
        }
        string? Pick(IEnumerable<string> ids) { var list = ids.ToList(); return list.Count == 0 ? null : list[rng.Next(list.Count)]; }
        var objectives = s.Objectives.Select(o => o.Id).ToList();
        var keyResults = s.KeyResults.Select(k => k.Id).ToList();
        switch (rng.Next(12))
        {
            case 0 or 1:
                var parent = rng.Next(3) == 0 ? null : Pick(objectives);
                return new(HttpMethod.Post, "/api/objectives", new
                {
                    cycleId = cycle, title = $"Objective {rng.Next(1000)}", owner = Owner(),
                    parents = parent is null ? Array.Empty<object>() : [new { parentId = parent, weight = rng.Next(1, 4) }]
                });
            case 2 or 3 when objectives.Count > 0:
                return new(HttpMethod.Post, "/api/key-results", new
                {
                    cycleId = cycle, title = $"Key result {rng.Next(1000)}", owner = Owner(),
                    kind = "increase", start = 0, target = 100, objectiveId = Pick(objectives), weight = rng.Next(1, 3)
                });
            case 4 when objectives.Count > 0:
                return new(HttpMethod.Patch, $"/api/objectives/{Pick(objectives)}", new { title = $"Renamed {rng.Next(1000)}" });
            case 5 when keyResults.Count > 0:
                return new(HttpMethod.Patch, $"/api/key-results/{Pick(keyResults)}", new { target = rng.Next(50, 200) });
            case 6 when objectives.Count > 1:
                return new(HttpMethod.Put, $"/api/objectives/{Pick(objectives)}/parents", new { parents = new[] { new { parentId = Pick(objectives), weight = 1.0 } } });
            case 7 when keyResults.Count > 0 && objectives.Count > 0:
                return new(HttpMethod.Put, $"/api/key-results/{Pick(keyResults)}/objective", new { objectiveId = Pick(objectives) });
            case 8 when s.Edges.Length > 0:
                var edge = s.Edges[rng.Next(s.Edges.Length)];
                return new(HttpMethod.Put, $"/api/objectives/{edge.ParentId}/children/{edge.ChildId}/weight", new { weight = rng.Next(0, 5) });
            case 9 when objectives.Count + keyResults.Count > 4:
                var victim = Pick(objectives.Concat(keyResults))!;
                return objectives.Contains(victim)
                    ? new(HttpMethod.Delete, $"/api/objectives/{victim}?detachChildren=true", null)
                    : new(HttpMethod.Delete, $"/api/key-results/{victim}", null);
            case 10 or 11 when keyResults.Count > 0:
                return new(HttpMethod.Post, $"/api/key-results/{Pick(keyResults)}/check-ins",
                    new { value = rng.Next(0, 120), at = DateTimeOffset.UtcNow.AddHours(-rng.Next(0, 48)) });
            default:
                return null;
        }
    }
}
