using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;
using OkrGrid.Engine.Feed;

namespace OkrGrid.Engine.Integrations.Webhooks;

/// <summary>
/// Turns what happens in the engine into outbox events, from durable state so that a crash loses none:
/// <list type="bullet">
/// <item>Status transitions of objectives and key results, and KPI dips: every change published in this silo is seen
/// (<see cref="INodeChangeTap"/>); changes are gathered for a moment and compared with the status last reported per node
/// (<c>okr_webhook_node_status</c>); a transition updates that row and writes its events in one transaction. A burst of
/// check-ins becomes at most one event per node transition. A change lost with a crash (the check-in was acknowledged, the
/// silo died before the transition was written) is found by the sweep: every open cycle's scores — rebuilt from the
/// journal after the restart — are compared with the same table shortly after start and then periodically.</item>
/// <item>Cycles closed and scenarios applied: read from the audit trail, which the cycle writes with the change itself
/// (its log row holds the entry), keyed by the audit sequence so every reading host writes each once.</item>
/// </list>
/// </summary>
public sealed class WebhookEventSource : BackgroundService, INodeChangeTap
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const int MaxGather = 2000;
    /// <summary>Audit rows are numbered when inserted, not when committed: this many before the cursor are read again.</summary>
    private const long AuditLookback = 10_000;
    /// <summary>How much older than its snapshot a score computed from facts is taken to be (see <see cref="SweepAsync"/>).</summary>
    private static readonly TimeSpan SweepMargin = TimeSpan.FromSeconds(2);

    private readonly NpgsqlDataSource _dataSource;
    private readonly WebhookOutbox _outbox;
    private readonly WebhookContext _context;
    private readonly IGrainFactory _grains;
    private readonly WebhookClock _clock;
    private readonly WebhookOptions _options;
    private readonly ILogger<WebhookEventSource> _logger;
    private readonly Channel<Candidate> _changes = Channel.CreateUnbounded<Candidate>(new() { SingleReader = true });
    /// <summary>The status last queued per node: a change that says the same is not queued again.</summary>
    private readonly ConcurrentDictionary<string, string> _lastSeen = new();

    public WebhookEventSource(NpgsqlDataSource dataSource, WebhookOutbox outbox, WebhookContext context, IGrainFactory grains, WebhookClock clock,
        IOptions<WebhookOptions> options, ILogger<WebhookEventSource> logger)
    {
        _dataSource = dataSource;
        _outbox = outbox;
        _context = context;
        _grains = grains;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>A node's reported status at a version, with what the event needs to say about it.</summary>
    private sealed record Candidate(string NodeId, NodeKind Kind, string Status, long Version, NodeScore? Score, KpiState? Kpi);

    /// <summary>Status names as the payloads say them.</summary>
    public static string Name(Status status) => status switch
    {
        Status.OnTrack => "onTrack",
        Status.AtRisk => "atRisk",
        Status.OffTrack => "offTrack",
        _ => "noData",
    };

    private static string? StatusOf(NodeChange change) => change.Kind switch
    {
        NodeKind.Objective or NodeKind.KeyResult when change.Score is { } s => Name(s.Status),
        NodeKind.Kpi when change.Kpi is { } k => KpiStatus(k),
        _ => null,
    };

    private static string KpiStatus(KpiState k) => k.Latest is null ? "noData" : k.BelowBaseline || k.Health == Health.Red ? "dipped" : "ok";

    void INodeChangeTap.Observe(NodeChange change)
    {
        if (StatusOf(change) is not { } status) return;
        if (_lastSeen.TryGetValue(change.NodeId, out var seen) && seen == status) return;
        _lastSeen[change.NodeId] = status;
        _changes.Writer.TryWrite(new Candidate(change.NodeId, change.Kind, status, change.Version, change.Score, change.Kpi));
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        Task.Run(() => TransitionsLoopAsync(stoppingToken), CancellationToken.None),
        Task.Run(() => SweepLoopAsync(stoppingToken), CancellationToken.None),
        Task.Run(() => AuditLoopAsync(stoppingToken), CancellationToken.None));

    // ---- Transitions ------------------------------------------------------------------------------------------

    private async Task TransitionsLoopAsync(CancellationToken ct)
    {
        var reader = _changes.Reader;
        var carried = new Dictionary<string, Candidate>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (carried.Count == 0 && !await reader.WaitToReadAsync(ct)) return;
                await Task.Delay(_options.Gather, ct);
            }
            catch (OperationCanceledException) { return; }
            // The newest version per node wins: a transition and its reversal within the gathering are no transition.
            var batch = new Dictionary<string, Candidate>(carried);
            while (batch.Count < MaxGather && reader.TryRead(out var c))
                if (!batch.TryGetValue(c.NodeId, out var had) || c.Version > had.Version) batch[c.NodeId] = c;
            carried.Clear();
            try
            {
                await WriteTransitionsAsync([.. batch.Values], ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Kept for the next round; if this silo dies meanwhile, the sweep finds them.
                _logger.TransitionsNotWritten(batch.Count, ex.Message);
                carried = batch;
                try { await Task.Delay(TimeSpan.FromSeconds(1), ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Compares the candidates with the statuses last reported and writes the transitions with their events.</summary>
    private async Task WriteTransitionsAsync(IReadOnlyList<Candidate> candidates, CancellationToken ct)
    {
        if (candidates.Count == 0) return;
        // A first, unlocked read finds the likely transitions, whose context (grain calls) is fetched outside the transaction.
        var stored = await ReadStoredAsync(null, null, candidates.Select(c => c.NodeId).ToArray(), ct);
        var likely = candidates.Where(c => IsTransition(stored.GetValueOrDefault(c.NodeId), c)).ToList();
        if (likely.Count == 0) return;
        var contexts = await _context.ResolveManyAsync(likely.Where(c => Reported(stored.GetValueOrDefault(c.NodeId), c) is not null)
            .Select(c => (c.NodeId, c.Kind)));

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var locked = await ReadStoredAsync(connection, tx, likely.Select(c => c.NodeId).ToArray(), ct, forUpdate: true);
        var now = _clock.UtcNow;
        var rows = new List<Candidate>();
        var events = new List<OutboxEvent>();
        foreach (var c in likely)
        {
            var before = locked.GetValueOrDefault(c.NodeId);
            if (!IsTransition(before, c)) continue; // another host wrote it meanwhile
            rows.Add(c);
            if (Reported(before, c) is not { } from) continue;
            if (!contexts.TryGetValue(c.NodeId, out var context)) context = await _context.ResolveAsync(c.NodeId, c.Kind);
            if (context is null) continue;
            events.AddRange(EventsOf(c, from, context, now));
        }
        if (rows.Count == 0) return;
        await using (var upsert = new NpgsqlCommand("""
            insert into okr_webhook_node_status (node_id, status, version, updated_at)
            select * from unnest(@ids, @statuses, @versions, @ats)
            on conflict (node_id) do update set status = excluded.status, version = excluded.version, updated_at = excluded.updated_at
            """, connection, tx))
        {
            upsert.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.NodeId)] });
            upsert.Parameters.Add(new NpgsqlParameter<string[]>("statuses", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Status)] });
            upsert.Parameters.Add(new NpgsqlParameter<long[]>("versions", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. rows.Select(r => r.Version)] });
            upsert.Parameters.Add(new NpgsqlParameter<DateTime[]>("ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. rows.Select(_ => now.UtcDateTime)] });
            await upsert.ExecuteNonQueryAsync(ct);
        }
        var deliveries = await _outbox.WriteAsync(connection, tx, events, ct);
        await tx.CommitAsync(ct);
        if (deliveries > 0) _outbox.Notify();
    }

    /// <summary>A newer version than the one last reported, saying something else.</summary>
    private static bool IsTransition((string Status, long Version)? before, Candidate c) =>
        before is not { } b || (c.Version > b.Version && b.Status != c.Status);

    /// <summary>
    /// The status the transition is from, or null when it is not worth an event: a node seen for the first time with no
    /// data yet (or a KPI that is fine) is only recorded.
    /// </summary>
    private static string? Reported((string Status, long Version)? before, Candidate c)
    {
        if (before is { } b) return b.Status;
        return c.Status is "noData" or "ok" ? null : "noData";
    }

    private static IEnumerable<OutboxEvent> EventsOf(Candidate c, string from, NodeContext context, DateTimeOffset now)
    {
        var scopes = context.Scopes;
        if (c.Kind == NodeKind.Kpi)
        {
            if (c.Status != "dipped") yield break;
            var k = c.Kpi;
            yield return new OutboxEvent($"kpi:{c.NodeId}:{c.Version}", WebhookEvents.KpiDipped, now, scopes, Data(new
            {
                kpiId = c.NodeId,
                title = context.Title,
                latest = k?.Latest,
                latestAt = k?.LatestAt,
                health = k?.Health.ToString().ToLowerInvariant(),
                belowBaseline = k?.BelowBaseline,
                owner = context.OwnerName,
                teamId = context.TeamId,
                version = c.Version,
                summary = $"KPI “{context.Title}” dipped: {k?.Latest:0.##}" + (k?.BelowBaseline == true ? " is below its baseline." : " is in the red."),
            }));
            yield break;
        }
        var kind = c.Kind == NodeKind.KeyResult ? "keyResult" : "objective";
        var what = c.Kind == NodeKind.KeyResult ? "Key result" : "Objective";
        object Body(string summary) => new
        {
            nodeId = c.NodeId,
            kind,
            cycleId = NodeIds.CycleOf(c.NodeId),
            title = context.Title,
            from,
            to = c.Status,
            progress = c.Score?.Progress,
            confidence = c.Score?.Confidence,
            owner = context.OwnerName,
            teamId = context.TeamId,
            version = c.Version,
            summary,
        };
        yield return new OutboxEvent($"status:{c.NodeId}:{c.Version}", WebhookEvents.StatusChanged, now, scopes,
            Data(Body($"{what} “{context.Title}” is now {Words(c.Status)} (was {Words(from)}).")));
        if (c.Status == "offTrack")
            yield return new OutboxEvent($"offTrack:{c.NodeId}:{c.Version}", WebhookEvents.FellOffTrack, now, scopes,
                Data(Body($"{what} “{context.Title}” fell off track (was {Words(from)}).")));
    }

    private static string Words(string status) => status switch
    {
        "onTrack" => "on track",
        "atRisk" => "at risk",
        "offTrack" => "off track",
        _ => "without data",
    };

    public static string Data(object value) => JsonSerializer.Serialize(value, Json);

    private static async Task<Dictionary<string, (string Status, long Version)?>> ReadStoredAsync(NpgsqlConnection? connection, NpgsqlTransaction? tx,
        string[] ids, CancellationToken ct, bool forUpdate = false, NpgsqlDataSource? dataSource = null)
    {
        var sql = "select node_id, status, version from okr_webhook_node_status where node_id = any(@ids)" + (forUpdate ? " order by node_id for update" : "");
        var result = new Dictionary<string, (string, long)?>();
        await using var own = connection is null ? await (dataSource ?? throw new InvalidOperationException()).OpenConnectionAsync(ct) : null;
        await using var cmd = new NpgsqlCommand(sql, connection ?? own, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result[reader.GetString(0)] = (reader.GetString(1), reader.GetInt64(2));
        return result;
    }

    private Task<Dictionary<string, (string Status, long Version)?>> ReadStoredAsync(NpgsqlConnection? connection, NpgsqlTransaction? tx, string[] ids, CancellationToken ct) =>
        ReadStoredAsync(connection, tx, ids, ct, false, _dataSource);

    // ---- Sweep ------------------------------------------------------------------------------------------------

    private async Task SweepLoopAsync(CancellationToken ct)
    {
        try { await Task.Delay(_options.SweepDelay, ct); }
        catch (OperationCanceledException) { return; }
        while (!ct.IsCancellationRequested)
        {
            try { await SweepAsync(ct); }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                _logger.StatusSweepFailed(ex.Message, _options.SweepInterval);
            }
            try { await Task.Delay(_options.SweepInterval, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>
    /// Compares every open cycle's statuses and every KPI's state with those last reported, and writes what differs —
    /// whatever happened to the changes that said so. Returns the number of nodes compared.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        var org = await _grains.GetGrain<IOrganisationGrain>(_options.CompanyId).GetAsync();
        var compared = 0;
        foreach (var cycle in org.Cycles.Where(c => !c.Closed))
        {
            var snapshot = await _grains.GetGrain<ICycleGrain>(cycle.Id).GetSnapshotAsync();
            // A score the cycle computed from the journal (a node not active: after a crash, the case the sweep is for)
            // has no version of its own; it is dated a margin before the facts were read (on the version clock, not the
            // engine's, which a test may hold anywhere), so that it never overrides a status reported from a check-in
            // committed while the snapshot was read, nor one from a silo whose clock runs a little ahead — it corrects
            // rows older than that.
            var fallback = snapshot.FactsVersion > 0 ? snapshot.FactsVersion - (long)SweepMargin.TotalMicroseconds : 0;
            var candidates = snapshot.Scores.Values
                .Select(s => new Candidate(s.NodeId, s.Kind, Name(s.Status), s.Version > 0 ? s.Version : fallback, s, null))
                .ToList();
            foreach (var chunk in candidates.Chunk(MaxGather)) await WriteTransitionsAsync(chunk, ct);
            compared += candidates.Count;
        }
        var kpis = new List<Candidate>();
        foreach (var kpi in org.Kpis)
        {
            try
            {
                var state = await _grains.GetGrain<IKpiGrain>(kpi.Id).GetStateAsync();
                kpis.Add(new Candidate(kpi.Id, NodeKind.Kpi, KpiStatus(state), state.Version, null, state));
            }
            catch (OkrRejectedException) { }
        }
        foreach (var chunk in kpis.Chunk(MaxGather)) await WriteTransitionsAsync(chunk, ct);
        return compared + kpis.Count;
    }

    // ---- Audit trail ------------------------------------------------------------------------------------------

    private async Task AuditLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await ReadAuditAsync(ct); }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                _logger.AuditReadFailed(ex.Message);
            }
            try { await Task.Delay(_options.AuditPoll, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Cycles closed and scenarios applied since the last reading (and a margin before it), each written once.</summary>
    public async Task ReadAuditAsync(CancellationToken ct = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        long? cursor = null;
        await using (var read = new NpgsqlCommand("select position from okr_webhook_cursors where name = 'audit'", connection))
            if (await read.ExecuteScalarAsync(ct) is long p) cursor = p;
        long top;
        await using (var max = new NpgsqlCommand("select coalesce(max(seq), 0) from okr_audit", connection))
            top = (long)(await max.ExecuteScalarAsync(ct))!;
        if (cursor is null)
        {
            // First reading: from now on (what was closed before webhooks existed is not news).
            await SaveCursorAsync(connection, top, ct);
            return;
        }
        var events = new List<OutboxEvent>();
        await using (var cmd = new NpgsqlCommand("""
            select seq, action, subject, cycle_id, actor_name, at from okr_audit
            where seq > @low and seq <= @top and action = any(@actions)
            order by seq
            """, connection))
        {
            cmd.Parameters.AddWithValue("low", Math.Max(0, cursor.Value - AuditLookback));
            cmd.Parameters.AddWithValue("top", top);
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("actions", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { TypedValue = [OkrGrid.Access.AuditActions.CycleClosed, OkrGrid.Access.AuditActions.MovesApplied] });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var seq = reader.GetInt64(0);
                var action = reader.GetString(1);
                var subject = reader.IsDBNull(2) ? null : reader.GetString(2);
                var cycleId = reader.IsDBNull(3) ? null : reader.GetString(3);
                var who = reader.GetString(4);
                var at = new DateTimeOffset(reader.GetFieldValue<DateTime>(5), TimeSpan.Zero);
                if (action == OkrGrid.Access.AuditActions.CycleClosed)
                    events.Add(new OutboxEvent($"audit:{seq}", WebhookEvents.CycleClosed, at, ["company"],
                        Data(new { cycleId, closedBy = who, closedAt = at, summary = $"Cycle “{cycleId}” was closed by {who}." })));
                else if (subject is not null && subject != cycleId)
                    events.Add(new OutboxEvent($"audit:{seq}", WebhookEvents.ScenarioApplied, at, ["company"],
                        Data(new { scenarioId = subject, cycleId, appliedBy = who, appliedAt = at, summary = $"Scenario “{subject}” was applied to cycle “{cycleId}” by {who}." })));
            }
        }
        if (events.Count > 0 && await _outbox.WriteAsync(connection, null, events, ct) > 0) _outbox.Notify();
        if (top > cursor) await SaveCursorAsync(connection, top, ct);
    }

    private static async Task SaveCursorAsync(NpgsqlConnection connection, long position, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            insert into okr_webhook_cursors (name, position) values ('audit', @p)
            on conflict (name) do update set position = greatest(okr_webhook_cursors.position, excluded.position)
            """, connection);
        cmd.Parameters.AddWithValue("p", position);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
