using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using OkrGrid.Access;
using OkrGrid.Tests.Engine;

namespace OkrGrid.Tests.Crash;

/// <summary>
/// kill -9 of the real process during a burst of structural changes (objectives and key results created, objectives
/// re-aligned, key results moved), with the log's commit stalled: after a restart every acknowledged change is there, a
/// change in flight is there whole or not at all, nothing else is — now, as of the instant before the kill, and in the
/// audit. Time travel during the stall shows nothing that is not yet durable.
/// </summary>
public sealed class StructureCrashTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private const int Workers = 20;
    private const int KillAfter = 300;
    private static readonly double[] Weights = [0.5, 1, 2, 3];
    private string _db = "";

    public async ValueTask InitializeAsync() => _db = await TestDatabase.CreateAsync("structcrash");

    public async ValueTask DisposeAsync() => await TestDatabase.DropAsync(_db);

    /// <summary>One structural request: the node it is about and that node's parents once it is applied.</summary>
    private sealed record Change(string Action, string NodeId, string Parents, DateTimeOffset SentAt, DateTimeOffset? AckedAt = null);

    /// <summary>A worker's requests, one at a time: a node it created is changed by it alone.</summary>
    private sealed class Worker(int index)
    {
        public int Index { get; } = index;
        public List<Change> Acked { get; } = [];
        public List<(Change Change, HttpStatusCode Status, string Body)> Refused { get; } = [];
        public Change? InFlight { get; set; }
        public Exception? FailedBeforeKill { get; set; }
        public List<string> Objectives { get; } = [];
        public List<string> KeyResults { get; } = [];

        /// <summary>The changes this worker made to a node, in order, ending with the one in flight (if it was about it).</summary>
        public List<Change> Of(string nodeId) =>
            [.. Acked.Where(c => c.NodeId == nodeId), .. InFlight is { } f && f.NodeId == nodeId ? [f] : Array.Empty<Change>()];
    }

    [Fact]
    public async Task AcknowledgedStructuralChangesSurviveKillNineAndNoneIsHalfApplied()
    {
        var ct = TestContext.Current.CancellationToken;
        var workers = Enumerable.Range(0, Workers).Select(w => new Worker(w)).ToList();
        var expectedObjectives = new Dictionary<string, ObjectiveDefinition>();
        var expectedKeyResults = new Dictionary<string, KeyResultDefinition>();
        var probes = new List<(DateTimeOffset At, CycleSnapshot Snapshot)>();
        CycleSnapshot baseline;
        string cycleId;
        DateTimeOffset killAt;
        var acknowledged = 0;
        var killed = 0;
        var burst = new System.Diagnostics.Stopwatch();

        await using (var web = await WebProcess.StartAsync(_db))
        {
            await using var stall = new NpgsqlConnection(_db);
            await stall.OpenAsync(ct);
            var org = (await web.Client.GetFromJsonAsync<OrganisationView>("/api/organisation", Json, ct))!;
            cycleId = org.Cycles.Single().Id;
            baseline = (await web.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycleId}/snapshot", Json, ct))!;
            Assert.NotEmpty(baseline.Objectives);
            Owner[] owners = [Owner.Company(org.CompanyId), .. org.Teams.Select(t => new Owner(OwnerKind.Team, t.Id)),
                .. org.People.Take(6).Select(p => new Owner(OwnerKind.Person, p.Id))];
            // Parents are drawn from the demo's objectives and every objective acknowledged so far (any worker's), so a
            // re-alignment can close a loop through another worker's objective: the gate must refuse it.
            var pool = baseline.Objectives.Select(o => o.Id).ToList();

            async Task RunAsync(Worker me)
            {
                var rng = new Random(me.Index);
                for (var i = 0; ; i++)
                {
                    string[] objectives;
                    lock (pool) objectives = [.. pool];
                    (string Id, double Weight)[] Pick(int count, string? except) =>
                        [.. objectives.Where(o => o != except).OrderBy(_ => rng.Next()).Take(count).Select(o => (o, Weights[rng.Next(Weights.Length)]))];
                    var owner = owners[rng.Next(owners.Length)];
                    object ownerBody = new { kind = owner.Kind.ToString().ToLowerInvariant(), id = owner.Id };
                    // A quarter each; a re-alignment or a move needs something of its own to change, else it creates one.
                    var roll = rng.Next(4);
                    if (roll == 2 && me.Objectives.Count == 0) roll = 0;
                    if (roll == 3 && me.KeyResults.Count == 0) roll = 1;
                    HttpMethod method;
                    string url;
                    object body;
                    Change change;
                    if (roll == 0)
                    {
                        var local = $"sc-{me.Index}-o{i}";
                        var id = NodeIds.Compose(cycleId, local);
                        var parents = Pick(1 + rng.Next(2), null);
                        var def = new ObjectiveDefinition(id, cycleId, $"Objective {me.Index}/{i} — «größer»", $"made by worker {me.Index}",
                            owner, i % 3 == 0 ? RollUpMode.KeyResultsOnly : RollUpMode.KeyResultsAndObjectives);
                        lock (expectedObjectives) expectedObjectives[id] = def;
                        (method, url) = (HttpMethod.Post, "/api/objectives");
                        body = new
                        {
                            cycleId, id = local, def.Title, def.Description, owner = ownerBody, rollUp = def.RollUp.ToString(),
                            parents = parents.Select(p => new { parentId = p.Id, weight = p.Weight })
                        };
                        change = new Change(AuditActions.ObjectiveCreated, id, Canonical(parents), DateTimeOffset.UtcNow);
                    }
                    else if (roll == 1)
                    {
                        var local = $"sc-{me.Index}-k{i}";
                        var id = NodeIds.Compose(cycleId, local);
                        var parent = Pick(1, null);
                        var (kind, start) = i % 2 == 0 ? (KeyResultKind.Increase, rng.Next(0, 50)) : (KeyResultKind.Decrease, rng.Next(100, 150));
                        var target = kind == KeyResultKind.Increase ? start + 1.5 * rng.Next(1, 100) : start - 0.25 * rng.Next(1, 100);
                        var def = new KeyResultDefinition(id, cycleId, $"Key result {me.Index}/{i}", owner, kind, start, target, "pts", null);
                        lock (expectedKeyResults) expectedKeyResults[id] = def;
                        (method, url) = (HttpMethod.Post, "/api/key-results");
                        body = new
                        {
                            id = local, def.Title, owner = ownerBody, kind = def.Kind.ToString(), def.Start, def.Target, def.Unit,
                            objectiveId = parent[0].Id, weight = parent[0].Weight
                        };
                        change = new Change(AuditActions.KeyResultCreated, id, Canonical(parent), DateTimeOffset.UtcNow);
                    }
                    else if (roll == 2)
                    {
                        // Replaces the parents of one of its objectives by a random pair.
                        var id = me.Objectives[rng.Next(me.Objectives.Count)];
                        var parents = Pick(2, id);
                        (method, url) = (HttpMethod.Put, $"/api/objectives/{id}/parents");
                        body = new { parents = parents.Select(p => new { parentId = p.Id, weight = p.Weight }) };
                        change = new Change(AuditActions.ObjectiveAligned, id, Canonical(parents), DateTimeOffset.UtcNow);
                    }
                    else
                    {
                        var id = me.KeyResults[rng.Next(me.KeyResults.Count)];
                        var parent = Pick(1, null);
                        (method, url) = (HttpMethod.Put, $"/api/key-results/{id}/objective");
                        body = new { objectiveId = parent[0].Id, weight = parent[0].Weight };
                        change = new Change(AuditActions.KeyResultMoved, id, Canonical(parent), DateTimeOffset.UtcNow);
                    }

                    lock (me) me.InFlight = change;
                    HttpStatusCode status;
                    string text;
                    try
                    {
                        using var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) };
                        using var response = await web.Client.SendAsync(request, ct);
                        status = response.StatusCode;
                        text = response.IsSuccessStatusCode ? "" : await response.Content.ReadAsStringAsync(ct);
                    }
                    catch (Exception e)
                    {
                        // The process is gone: this change stays in flight.
                        if (Volatile.Read(ref killed) == 0) me.FailedBeforeKill = e;
                        return;
                    }
                    lock (me)
                    {
                        me.InFlight = null;
                        if ((int)status is >= 200 and < 300) me.Acked.Add(change with { AckedAt = DateTimeOffset.UtcNow });
                        else me.Refused.Add((change, status, text));
                    }
                    if ((int)status is not (>= 200 and < 300)) continue;
                    if (change.Action == AuditActions.ObjectiveCreated)
                    {
                        me.Objectives.Add(change.NodeId);
                        lock (pool) pool.Add(change.NodeId);
                    }
                    else if (change.Action == AuditActions.KeyResultCreated) me.KeyResults.Add(change.NodeId);
                    Interlocked.Increment(ref acknowledged);
                }
            }

            burst.Start();
            var running = workers.Select(w => Task.Run(() => RunAsync(w), ct)).ToList();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Volatile.Read(ref acknowledged) < KillAfter && !running.All(t => t.IsCompleted) && DateTime.UtcNow < deadline)
                await Task.Delay(5, ct);
            Assert.True(Volatile.Read(ref acknowledged) >= KillAfter,
                $"only {acknowledged} structural changes were acknowledged before the workers stopped:\n{web.Output}");
            burst.Stop();

            // Stall the log mid-stream, as a slow disk would: the commit under way waits, every worker's next change is
            // validated, applied in memory and staged behind it — the window in which an early acknowledgement, or a
            // read of what is not yet durable, would show.
            await using var lockTx = await stall.BeginTransactionAsync(ct);
            await using (var lockLog = new NpgsqlCommand("lock table okr_structure_log in exclusive mode", stall, lockTx))
                await lockLog.ExecuteNonQueryAsync(ct);
            await Task.Delay(300, ct);

            // Time travel meanwhile, to just before each waiting change was sent: none of them may show.
            var waiting = workers.Select(w => { lock (w) return w.InFlight; }).OfType<Change>().ToList();
            foreach (var instant in waiting.Select(c => c.SentAt.AddTicks(-10)).Distinct())
            {
                using var response = await web.Client.GetAsync($"/api/cycles/{cycleId}/snapshot?at={Uri.EscapeDataString(instant.ToString("O"))}", ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"snapshot at {instant:O} during the stall: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                probes.Add((instant, (await response.Content.ReadFromJsonAsync<CycleSnapshot>(Json, ct))!));
            }

            killAt = DateTimeOffset.UtcNow;
            Volatile.Write(ref killed, 1);
            await web.KillAsync();
            // The commit the log was waiting on may still land now, with no one left to acknowledge it.
            await lockTx.RollbackAsync(ct);
            await Task.WhenAll(running);
        }
        Assert.All(workers, w => Assert.True(w.FailedBeforeKill is null, $"worker {w.Index} failed before the kill: {w.FailedBeforeKill}"));

        var refused = workers.SelectMany(w => w.Refused).ToList();
        // Only a re-alignment that would close a loop may be refused; anything else is this test's mistake or a failed commit.
        Assert.All(refused, r => Assert.True(r.Change.Action == AuditActions.ObjectiveAligned && r.Status == HttpStatusCode.Conflict && r.Body.Contains("loop"),
            $"{r.Change.Action} of {r.Change.NodeId} answered {(int)r.Status}: {r.Body}"));
        var inFlight = workers.Where(w => w.InFlight is not null).Select(w => w.InFlight!).ToList();
        var owner = workers.SelectMany(w => w.Acked.Concat(w.InFlight is { } f ? [f] : []).Select(c => (c.NodeId, w)))
            .DistinctBy(x => x.NodeId).ToDictionary(x => x.NodeId, x => x.w);
        var created = workers.SelectMany(w => w.Acked).Where(IsCreate).ToList();
        var requested = workers.SelectMany(w => w.Acked.Concat(w.InFlight is { } f ? [f] : [])).ToList();
        var baselineIds = baseline.Objectives.Select(o => o.Id).Concat(baseline.KeyResults.Select(k => k.Id)).ToHashSet();
        var baselineParents = baseline.Edges.ToLookup(e => e.ChildId);

        // The cycle now (instant null), or as of an instant: what every acknowledged change made, each change in flight
        // whole or not at all, nothing else.
        void AssertHolds(CycleSnapshot snapshot, DateTimeOffset? instant)
        {
            var label = instant is null ? "after the restart" : $"as of {instant:O}";
            AssertConsistent(snapshot, label);
            var objectives = snapshot.Objectives.ToDictionary(o => o.Id);
            var keyResults = snapshot.KeyResults.ToDictionary(k => k.Id);
            var parents = snapshot.Edges.ToLookup(e => e.ChildId);

            // The demo's nodes are as they were: the workers only added children under its objectives.
            foreach (var o in baseline.Objectives) Assert.Equal(o, objectives.GetValueOrDefault(o.Id));
            foreach (var k in baseline.KeyResults) Assert.Equal(k, keyResults.GetValueOrDefault(k.Id));
            foreach (var id in baselineIds) Assert.Equal(Canonical(baselineParents[id]), Canonical(parents[id]));

            foreach (var id in objectives.Keys.Concat(keyResults.Keys).Where(id => !baselineIds.Contains(id)))
            {
                // A node the test never asked for, or asked for and was refused, is not there.
                Assert.True(owner.TryGetValue(id, out var w), $"{id} exists {label} but was never requested");
                var history = w.Of(id);
                Assert.True(IsCreate(history[0]), $"{id} exists {label} but its creation was never requested");
                if (objectives.TryGetValue(id, out var o)) Assert.Equal(expectedObjectives[id], o);
                else Assert.Equal(expectedKeyResults[id], keyResults[id]);

                // Its parents are those of one whole change: the last acknowledged (as of an instant: the last one
                // acknowledged before it) or a later one already sent by then — never a mix, never anything else.
                var last = history.FindLastIndex(c => c.AckedAt is { } a && (instant is null || a < instant));
                var allowed = history.Skip(Math.Max(last, 0)).Where(c => instant is null || c.SentAt <= instant).Select(c => c.Parents).ToList();
                var actual = Canonical(parents[id]);
                Assert.True(allowed.Contains(actual),
                    $"{id} {label} has parents [{actual}]; its changes: {string.Join(" | ", history.Select(c => $"{c.Action} [{c.Parents}] sent {c.SentAt:O} acked {c.AckedAt:O}"))}");
            }

            // Every acknowledged creation is there (as of an instant: every one acknowledged before it), none requested after it.
            foreach (var c in created.Where(c => instant is null || c.AckedAt < instant))
                Assert.True(objectives.ContainsKey(c.NodeId) || keyResults.ContainsKey(c.NodeId), $"acknowledged {c.Action} of {c.NodeId} is lost {label}");
            foreach (var c in requested.Where(c => IsCreate(c) && c.SentAt > instant))
                Assert.False(objectives.ContainsKey(c.NodeId) || keyResults.ContainsKey(c.NodeId), $"{c.NodeId}, requested at {c.SentAt:O}, is there {label}");
        }

        foreach (var (instant, snapshot) in probes) AssertHolds(snapshot, instant);

        await using var again = await WebProcess.StartAsync(_db);
        var now = (await again.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycleId}/snapshot", Json, ct))!;
        AssertHolds(now, null);
        using (var response = await again.Client.GetAsync($"/api/cycles/{cycleId}/snapshot?at={Uri.EscapeDataString(killAt.ToString("O"))}", ct))
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"snapshot at {killAt:O}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            AssertHolds((await response.Content.ReadFromJsonAsync<CycleSnapshot>(Json, ct))!, killAt);
        }

        // The audit has one entry per committed change of each node, in order: the acknowledged ones, then the one in
        // flight if (and only if) it was committed — and the last one says what is there.
        var audit = await ReadAuditAsync(again.Client, cycleId, ct);
        var committedInFlight = 0;
        foreach (var (id, w) in owner)
        {
            var history = w.Of(id);
            var entries = audit.Where(a => a.Subject == id).OrderBy(a => long.Parse(a.Id[1..], CultureInfo.InvariantCulture)).ToList();
            var expected = history.Where(c => c.AckedAt is not null).ToList();
            if (history[^1].AckedAt is null && entries.Count == expected.Count + 1)
            {
                expected.Add(history[^1]);
                committedInFlight++;
            }
            Assert.Equal(expected.Select(c => (c.Action, c.Parents)), entries.Select(a => (a.Action, AuditedParents(a))));
            var exists = now.Objectives.Any(o => o.Id == id) || now.KeyResults.Any(k => k.Id == id);
            Assert.Equal(expected.Count > 0 ? expected[^1].Parents : null, exists ? Canonical(now.Edges.Where(e => e.ChildId == id)) : null);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{acknowledged} structural changes acknowledged in {burst.Elapsed.TotalSeconds:0.0} s ({created.Count} creations), " +
            $"{refused.Count} re-alignments refused as loops; {inFlight.Count} in flight at the kill, {committedInFlight} of them committed; " +
            $"{probes.Count} time-travel reads during the stall; {now.Objectives.Length} objectives, {now.KeyResults.Length} key results after the restart");
    }

    private static bool IsCreate(Change c) => c.Action is AuditActions.ObjectiveCreated or AuditActions.KeyResultCreated;

    private static bool IsWorkers(string id) => id.Contains(":sc-", StringComparison.Ordinal);

    private static string Canonical(IEnumerable<Edge> edges) => Canonical(edges.Select(e => (e.ParentId, e.Weight)));

    private static string Canonical(IEnumerable<(string Id, double Weight)> links) =>
        string.Join(", ", links.Select(l => $"{l.Id}@{l.Weight.ToString(CultureInfo.InvariantCulture)}").Order(StringComparer.Ordinal));

    /// <summary>Edges between nodes that exist, from objectives, at most one per pair, at most one parent per key result, no loop.</summary>
    private static void AssertConsistent(CycleSnapshot s, string label)
    {
        var objectives = s.Objectives.Select(o => o.Id).ToHashSet();
        var keyResults = s.KeyResults.Select(k => k.Id).ToHashSet();
        foreach (var e in s.Edges)
            Assert.True(objectives.Contains(e.ParentId) && (objectives.Contains(e.ChildId) || keyResults.Contains(e.ChildId)), $"dangling edge {e} {label}");
        Assert.Equal(s.Edges.Length, s.Edges.Select(e => (e.ParentId, e.ChildId)).Distinct().Count());
        foreach (var g in s.Edges.Where(e => keyResults.Contains(e.ChildId)).GroupBy(e => e.ChildId))
            Assert.True(g.Count() == 1, $"key result {g.Key} has {g.Count()} parents {label}");

        // Peel objectives with no objective parent left; what remains sits on a loop.
        var up = s.Edges.Where(e => objectives.Contains(e.ChildId)).ToList();
        var parentsLeft = objectives.ToDictionary(o => o, o => up.Count(e => e.ChildId == o));
        var children = up.ToLookup(e => e.ParentId, e => e.ChildId);
        var ready = new Queue<string>(parentsLeft.Where(p => p.Value == 0).Select(p => p.Key));
        var peeled = 0;
        while (ready.TryDequeue(out var o))
        {
            peeled++;
            foreach (var c in children[o])
                if (--parentsLeft[c] == 0) ready.Enqueue(c);
        }
        Assert.True(peeled == objectives.Count, $"alignment loop {label} among {string.Join(", ", parentsLeft.Where(p => p.Value > 0).Select(p => p.Key))}");
    }

    private sealed record AuditRow(string Id, string Action, string? Subject, JsonElement? After);

    private sealed record AuditPageRows(ImmutableArray<AuditRow> Entries, string? Next);

    private static async Task<List<AuditRow>> ReadAuditAsync(HttpClient client, string cycleId, CancellationToken ct)
    {
        var rows = new List<AuditRow>();
        string? cursor = null;
        do
        {
            var page = (await client.GetFromJsonAsync<AuditPageRows>(
                $"/api/audit?cycleId={Uri.EscapeDataString(cycleId)}&limit=500{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", Json, ct))!;
            rows.AddRange(page.Entries.Where(r => r.Subject is { } s && IsWorkers(s)));
            cursor = page.Next;
        } while (cursor is not null);
        return rows;
    }

    /// <summary>The node's parents after the audited change, from the entry's "after".</summary>
    private static string AuditedParents(AuditRow row)
    {
        var after = row.After!.Value;
        IEnumerable<(string, double)> Links(JsonElement links) => links.EnumerateArray().Select(l => (l.GetProperty("parentId").GetString()!, l.GetProperty("weight").GetDouble()));
        return Canonical(row.Action switch
        {
            AuditActions.ObjectiveCreated => Links(after.GetProperty("parents")),
            AuditActions.ObjectiveAligned => Links(after),
            _ => after.GetProperty("objectiveId").GetString() is { } parent ? [(parent, after.GetProperty("weight").GetDouble())] : [],
        });
    }
}
