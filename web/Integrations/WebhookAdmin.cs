using Npgsql;
using NpgsqlTypes;
using OkrGrid.Access;
using OkrGrid.Engine.Integrations;
using OkrGrid.Engine.Integrations.Webhooks;

namespace OkrGrid.Web.Integrations;

/// <summary>A subscription as the API and the page show it: never its secret; the address with its secret-looking parts masked.</summary>
public sealed record WebhookView(string Id, string Name, string Url, string Format, string Scope, ImmutableArray<string> Events, bool Active,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, int Pending, int Delivered, int Dead);

/// <summary>The answer to a creation: the subscription, and its signing secret — shown this once, never again.</summary>
public sealed record WebhookCreated(WebhookView Webhook, string Secret);

public sealed record WebhookAttemptView(int Attempt, DateTimeOffset At, int? Status, int DurationMs, string? Error);

public sealed record WebhookDeliveryView(Guid Id, string Event, DateTimeOffset OccurredAt, string State, int AttemptCount, DateTimeOffset? NextAttemptAt,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, int? LastStatus, string? LastError, ImmutableArray<WebhookAttemptView> Attempts);

public sealed record CadenceView(string TeamId, int DayOfWeek, string Time, string TimeZone, DateTimeOffset NextDueAt, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>A change of a subscription: the fields given change, the others stay.</summary>
public sealed record WebhookChange(string? Name = null, string? Url = null, string? Scope = null, ImmutableArray<string>? Events = null,
    string? Format = null, bool? Active = null);

/// <summary>
/// Who may manage which webhooks, and the SQL behind the API and the page. Admins manage all; a lead those scoped to a
/// team they lead ("team:{id}"); nobody else sees them. Every create, change and delete is audited in its transaction
/// (never with the secret).
/// </summary>
public sealed class WebhookAdmin(NpgsqlDataSource dataSource, OutboundHttp outbound, LiveBoard board, IGrainFactory grains, TimeProvider time)
{
    public const string Created = "webhook.created";
    public const string Changed = "webhook.changed";
    public const string Deleted = "webhook.deleted";
    public const string CadenceSet = "cadence.set";
    public const string CadenceRemoved = "cadence.removed";

    public const int MaxDeliveries = 200;

    // ---- Who may -----------------------------------------------------------------------------------------------

    /// <summary>Whether the actor may manage a subscription with this scope.</summary>
    public static bool MayManage(Actor actor, string scope) =>
        Permissions.MayAdminister(actor) || (scope.StartsWith("team:", StringComparison.Ordinal) && Permissions.MayShareWall(actor, scope[5..]));

    public static bool MayManageAny(Actor actor) => Permissions.MayAdminister(actor) || Permissions.MayShareWall(actor, actor.TeamId);

    private static void EnsureAny(Actor actor)
    {
        if (!MayManageAny(actor))
            throw OkrRejectedException.Forbidden("Authorization", $"{actor.Name} may not manage webhooks: that takes an admin, or a lead for their teams.");
    }

    // ---- Subscriptions -----------------------------------------------------------------------------------------

    public async Task<List<WebhookView>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        EnsureAny(actor);
        return [.. (await ReadAsync(null, ct)).Where(w => MayManage(actor, w.Scope))];
    }

    public async Task<WebhookView> GetAsync(Actor actor, string id, CancellationToken ct = default)
    {
        EnsureAny(actor);
        var hook = (await ReadAsync(Id(id), ct)).SingleOrDefault();
        // Another team's webhook is "not found" to a lead: its existence is not theirs to know.
        if (hook is null || !MayManage(actor, hook.Scope)) throw OkrRejectedException.NotFound("webhookId", id);
        return hook;
    }

    public async Task<WebhookCreated> CreateAsync(Actor actor, string? name, string? url, string? scope, ImmutableArray<string>? events, string? format,
        CancellationToken ct = default)
    {
        EnsureAny(actor);
        var validName = Check.Title("name", name, Check.MaxName);
        var validUrl = Url(url);
        var validScope = await ScopeAsync(actor, scope, ct);
        var validEvents = Events(events);
        var validFormat = Format(format ?? WebhookPayloads.Json);
        var id = "wh_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var secret = WebhookSignature.NewSecret();
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("""
            insert into okr_webhooks (id, name, url, secret, format, scope, events, active, created_at, created_by, updated_at)
            values (@id, @name, @url, @secret, @format, @scope, @events, true, @now, @by, @now)
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("name", validName);
            cmd.Parameters.AddWithValue("url", validUrl);
            cmd.Parameters.AddWithValue("secret", secret);
            cmd.Parameters.AddWithValue("format", validFormat);
            cmd.Parameters.AddWithValue("scope", validScope);
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("events", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. validEvents] });
            cmd.Parameters.AddWithValue("now", now.UtcDateTime);
            cmd.Parameters.AddWithValue("by", actor.Id);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditWriter.WriteAsync(connection, tx, now, actor, Created, id, null,
            new { name = validName, url = Mask(validUrl), scope = validScope, events = validEvents, format = validFormat }, ct);
        await tx.CommitAsync(ct);
        return new WebhookCreated((await ReadAsync(id, ct)).Single(), secret);
    }

    public async Task<WebhookView> ChangeAsync(Actor actor, string id, WebhookChange change, CancellationToken ct = default)
    {
        var before = await GetAsync(actor, id, ct);
        var name = change.Name is null ? before.Name : Check.Title("name", change.Name, Check.MaxName);
        var url = change.Url is null ? null : Url(change.Url);
        var scope = change.Scope is null ? before.Scope : await ScopeAsync(actor, change.Scope, ct);
        var events = change.Events is null ? before.Events : Events(change.Events);
        var format = change.Format is null ? before.Format : Format(change.Format);
        var active = change.Active ?? before.Active;
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("""
            update okr_webhooks set name = @name, url = coalesce(@url, url), scope = @scope, events = @events, format = @format,
                active = @active, updated_at = @now
            where id = @id
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", before.Id);
            cmd.Parameters.AddWithValue("name", name);
            cmd.Parameters.Add(new NpgsqlParameter("url", NpgsqlDbType.Text) { Value = (object?)url ?? DBNull.Value });
            cmd.Parameters.AddWithValue("scope", scope);
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("events", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. events] });
            cmd.Parameters.AddWithValue("format", format);
            cmd.Parameters.AddWithValue("active", active);
            cmd.Parameters.AddWithValue("now", now.UtcDateTime);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) throw OkrRejectedException.NotFound("webhookId", id);
        }
        await AuditWriter.WriteAsync(connection, tx, now, actor, Changed, before.Id,
            new { before.Name, before.Url, before.Scope, before.Events, before.Format, before.Active },
            new { name, url = url is null ? before.Url : Mask(url), scope, events, format, active }, ct);
        await tx.CommitAsync(ct);
        return (await ReadAsync(before.Id, ct)).Single();
    }

    public async Task<WebhookView> DeleteAsync(Actor actor, string id, CancellationToken ct = default)
    {
        var before = await GetAsync(actor, id, ct);
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("delete from okr_webhooks where id = @id", connection, tx))
        {
            cmd.Parameters.AddWithValue("id", before.Id);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) throw OkrRejectedException.NotFound("webhookId", id);
        }
        await AuditWriter.WriteAsync(connection, tx, now, actor, Deleted, before.Id,
            new { before.Name, before.Url, before.Scope, before.Events, before.Format }, null, ct);
        await tx.CommitAsync(ct);
        return before;
    }

    // ---- Deliveries --------------------------------------------------------------------------------------------

    /// <summary>The subscription's deliveries, newest first, with their attempts; <paramref name="state"/>: pending, delivered or dead.</summary>
    public async Task<List<WebhookDeliveryView>> DeliveriesAsync(Actor actor, string id, string? state, int? limit, CancellationToken ct = default)
    {
        var hook = await GetAsync(actor, id, ct);
        if (state is not null and not ("pending" or "delivered" or "dead"))
            throw OkrRejectedException.Invalid("state", "must be pending, delivered or dead.");
        var take = limit ?? 50;
        if (take is < 1 or > MaxDeliveries) throw OkrRejectedException.Invalid("limit", $"must be 1 to {MaxDeliveries}.");
        var deliveries = new List<WebhookDeliveryView>();
        await using (var cmd = dataSource.CreateCommand("""
            select d.id, e.kind, e.at, d.state, d.attempts, d.next_at, d.created_at, d.finished_at, d.last_status, d.last_error
            from okr_webhook_deliveries d join okr_webhook_events e on e.id = d.event_id
            where d.webhook_id = @id and (@state::text is null or d.state = @state)
            order by d.created_at desc, e.id desc limit @limit
            """))
        {
            cmd.Parameters.AddWithValue("id", hook.Id);
            cmd.Parameters.Add(new NpgsqlParameter("state", NpgsqlDbType.Text) { Value = (object?)state ?? DBNull.Value });
            cmd.Parameters.AddWithValue("limit", take);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var s = reader.GetString(3);
                deliveries.Add(new WebhookDeliveryView(reader.GetGuid(0), reader.GetString(1), At(reader, 2), s, reader.GetInt32(4),
                    s == "pending" ? At(reader, 5) : null, At(reader, 6), reader.IsDBNull(7) ? null : At(reader, 7),
                    reader.IsDBNull(8) ? null : reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetString(9), []));
            }
        }
        if (deliveries.Count == 0) return deliveries;
        var attempts = new Dictionary<Guid, List<WebhookAttemptView>>();
        await using (var cmd = dataSource.CreateCommand("""
            select delivery_id, attempt, at, status, duration_ms, error from okr_webhook_attempts
            where delivery_id = any(@ids) order by delivery_id, attempt
            """))
        {
            cmd.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = [.. deliveries.Select(d => d.Id)] });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var key = reader.GetGuid(0);
                if (!attempts.TryGetValue(key, out var list)) attempts[key] = list = [];
                list.Add(new WebhookAttemptView(reader.GetInt32(1), At(reader, 2), reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.GetInt32(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }
        return [.. deliveries.Select(d => d with { Attempts = attempts.TryGetValue(d.Id, out var a) ? [.. a] : [] })];
    }

    /// <summary>A delivery goes again, with the same id and a new round of attempts: a dead letter, or one delivered the receiver lost.</summary>
    public async Task<WebhookDeliveryView> RedeliverAsync(Actor actor, string id, string deliveryId, CancellationToken ct = default)
    {
        var hook = await GetAsync(actor, id, ct);
        if (!Guid.TryParse(deliveryId, out var delivery)) throw OkrRejectedException.NotFound("deliveryId", deliveryId);
        await using (var cmd = dataSource.CreateCommand("""
            update okr_webhook_deliveries set state = 'pending', next_at = @now, round_start = attempts, finished_at = null
            where id = @delivery and webhook_id = @id and state <> 'pending'
            """))
        {
            cmd.Parameters.AddWithValue("delivery", delivery);
            cmd.Parameters.AddWithValue("id", hook.Id);
            cmd.Parameters.AddWithValue("now", time.GetUtcNow().UtcDateTime);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                var exists = (await DeliveriesOfAsync(hook.Id, delivery, ct)) is not null;
                throw exists ? OkrRejectedException.Conflict("deliveryId", "is already pending: it will be tried again on its own.")
                    : OkrRejectedException.NotFound("deliveryId", deliveryId);
            }
        }
        return (await DeliveriesOfAsync(hook.Id, delivery, ct))!;
    }

    private async Task<WebhookDeliveryView?> DeliveriesOfAsync(string hookId, Guid delivery, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            select d.id, e.kind, e.at, d.state, d.attempts, d.next_at, d.created_at, d.finished_at, d.last_status, d.last_error
            from okr_webhook_deliveries d join okr_webhook_events e on e.id = d.event_id where d.id = @delivery and d.webhook_id = @id
            """);
        cmd.Parameters.AddWithValue("delivery", delivery);
        cmd.Parameters.AddWithValue("id", hookId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var s = reader.GetString(3);
        return new WebhookDeliveryView(reader.GetGuid(0), reader.GetString(1), At(reader, 2), s, reader.GetInt32(4), s == "pending" ? At(reader, 5) : null,
            At(reader, 6), reader.IsDBNull(7) ? null : At(reader, 7), reader.IsDBNull(8) ? null : reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetString(9), []);
    }

    /// <summary>A test event to this subscription alone; returns its delivery (pending: the dispatcher sends it within its poll).</summary>
    public async Task<WebhookDeliveryView> PingAsync(Actor actor, string id, CancellationToken ct = default)
    {
        var hook = await GetAsync(actor, id, ct);
        var now = time.GetUtcNow();
        var delivery = Guid.NewGuid();
        await using (var cmd = dataSource.CreateCommand("""
            with ev as (
                insert into okr_webhook_events (event_key, kind, at, scopes, data)
                values (@key, @kind, @now, array['webhook:' || @id], @data::jsonb) returning id
            )
            insert into okr_webhook_deliveries (id, webhook_id, event_id, next_at, created_at)
            select @delivery, @id, ev.id, @now, @now from ev
            """))
        {
            cmd.Parameters.AddWithValue("key", $"ping:{hook.Id}:{delivery}");
            cmd.Parameters.AddWithValue("kind", WebhookEvents.Ping);
            cmd.Parameters.AddWithValue("now", now.UtcDateTime);
            cmd.Parameters.AddWithValue("id", hook.Id);
            cmd.Parameters.AddWithValue("delivery", delivery);
            cmd.Parameters.AddWithValue("data", WebhookEventSource.Data(new
            {
                webhookId = hook.Id, requestedBy = actor.Name,
                summary = $"Test ping for webhook “{hook.Name}”, sent by {actor.Name}."
            }));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return (await DeliveriesOfAsync(hook.Id, delivery, ct))!;
    }

    // ---- Check-in cadences -------------------------------------------------------------------------------------

    public async Task<List<CadenceView>> ListCadencesAsync(Actor actor, CancellationToken ct = default)
    {
        EnsureAny(actor);
        var all = new List<CadenceView>();
        await using var cmd = dataSource.CreateCommand(
            "select team_id, day_of_week, at_time, time_zone, next_due_at, updated_at, updated_by from okr_checkin_cadences order by team_id");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            all.Add(new CadenceView(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), At(reader, 4), At(reader, 5), reader.GetString(6)));
        return [.. all.Where(c => MayManage(actor, $"team:{c.TeamId}"))];
    }

    public async Task<CadenceView> SetCadenceAsync(Actor actor, string teamId, int? dayOfWeek, string? at, string? timeZone, CancellationToken ct = default)
    {
        await EnsureTeamAsync(actor, teamId, ct);
        if (Cadence.Check(dayOfWeek, at, timeZone) is { } problem) throw OkrRejectedException.Invalid(problem.Field, problem.Reason);
        var cadence = Cadence.Of(dayOfWeek!.Value, at!, timeZone!);
        var now = time.GetUtcNow();
        var next = cadence.NextAfter(now);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("""
            insert into okr_checkin_cadences (team_id, day_of_week, at_time, time_zone, next_due_at, updated_at, updated_by)
            values (@team, @day, @at, @zone, @next, @now, @by)
            on conflict (team_id) do update set day_of_week = excluded.day_of_week, at_time = excluded.at_time, time_zone = excluded.time_zone,
                next_due_at = excluded.next_due_at, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("team", teamId);
            cmd.Parameters.AddWithValue("day", dayOfWeek.Value);
            cmd.Parameters.AddWithValue("at", at!);
            cmd.Parameters.AddWithValue("zone", timeZone!);
            cmd.Parameters.AddWithValue("next", next.UtcDateTime);
            cmd.Parameters.AddWithValue("now", now.UtcDateTime);
            cmd.Parameters.AddWithValue("by", actor.Id);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditWriter.WriteAsync(connection, tx, now, actor, CadenceSet, $"team:{teamId}", null, new { dayOfWeek, time = at, timeZone }, ct);
        await tx.CommitAsync(ct);
        return new CadenceView(teamId, dayOfWeek.Value, at!, timeZone!, next, now, actor.Id);
    }

    public async Task RemoveCadenceAsync(Actor actor, string teamId, CancellationToken ct = default)
    {
        await EnsureTeamAsync(actor, teamId, ct);
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("delete from okr_checkin_cadences where team_id = @team", connection, tx))
        {
            cmd.Parameters.AddWithValue("team", teamId);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) throw OkrRejectedException.NotFound("teamId", $"{teamId} has no check-in cadence");
        }
        await AuditWriter.WriteAsync(connection, tx, now, actor, CadenceRemoved, $"team:{teamId}", null, null, ct);
        await tx.CommitAsync(ct);
    }

    private async Task EnsureTeamAsync(Actor actor, string teamId, CancellationToken ct)
    {
        EnsureAny(actor);
        if ((await board.GetOrganisationAsync(ct)).Teams.All(t => t.Id != teamId)) throw OkrRejectedException.NotFound("teamId", teamId);
        if (!MayManage(actor, $"team:{teamId}"))
            throw OkrRejectedException.Forbidden("teamId", $"{actor.Name} may set the cadence of the teams they lead only.");
    }

    // ---- Validation --------------------------------------------------------------------------------------------

    private static string Id(string id) => id.Length <= 64 ? id : throw OkrRejectedException.NotFound("webhookId", id[..64] + "…");

    private string Url(string? url)
    {
        if (outbound.Validate(url) is { } reason) throw OkrRejectedException.Invalid("url", reason + ".");
        return url!;
    }

    private static ImmutableArray<string> Events(ImmutableArray<string>? events)
    {
        if (events is not { IsDefaultOrEmpty: false } list)
            throw OkrRejectedException.Invalid("events", $"name at least one event: {string.Join(", ", WebhookEvents.All)}.");
        for (int i = 0; i < list.Length; i++)
            if (list[i] is null || !WebhookEvents.IsKnown(list[i]))
                throw OkrRejectedException.Invalid($"events[{i}]", $"'{Shorten(list[i])}' is not an event; one of {string.Join(", ", WebhookEvents.All)}.");
        return [.. list.Distinct()];
    }

    private static string Format(string format) => WebhookPayloads.Formats.Contains(format) ? format
        : throw OkrRejectedException.Invalid("format", $"'{Shorten(format)}' is not a format; one of {string.Join(", ", WebhookPayloads.Formats)}.");

    private static string Shorten(string? text) => text is null ? "null" : text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>"company", "team:{id}" or "node:{id}" — existing, and the caller's to manage (a lead: their teams only).</summary>
    private async Task<string> ScopeAsync(Actor actor, string? scope, CancellationToken ct)
    {
        scope ??= "company";
        if (scope == "company")
        {
            if (!Permissions.MayAdminister(actor)) throw OkrRejectedException.Forbidden("scope", $"{actor.Name} may subscribe to their teams only (team:…); the whole company takes an admin.");
            return scope;
        }
        if (scope.StartsWith("team:", StringComparison.Ordinal))
        {
            var teamId = scope[5..];
            if ((await board.GetOrganisationAsync(ct)).Teams.All(t => t.Id != teamId)) throw OkrRejectedException.Invalid("scope", $"there is no team '{Shorten(teamId)}'.");
            if (!MayManage(actor, scope)) throw OkrRejectedException.Forbidden("scope", $"{actor.Name} may subscribe to the teams they lead only.");
            return scope;
        }
        if (scope.StartsWith("node:", StringComparison.Ordinal))
        {
            var nodeId = scope[5..];
            if (!Permissions.MayAdminister(actor)) throw OkrRejectedException.Forbidden("scope", $"{actor.Name} may subscribe to their teams only (team:…); one node takes an admin.");
            if (!await NodeExistsAsync(nodeId)) throw OkrRejectedException.Invalid("scope", $"there is no objective, key result or KPI '{Shorten(nodeId)}'.");
            return scope;
        }
        throw OkrRejectedException.Invalid("scope", "must be company, team:{teamId} or node:{nodeId}.");
    }

    private async Task<bool> NodeExistsAsync(string nodeId)
    {
        if (nodeId.Length is 0 or > 200) return false;
        try
        {
            if (NodeIds.CycleOf(nodeId) is { } cycleId)
            {
                var cycle = grains.GetGrain<ICycleGrain>(cycleId);
                return await cycle.GetObjectiveSetupAsync(nodeId) is not null || await cycle.GetKeyResultSetupAsync(nodeId) is not null;
            }
            return (await board.GetOrganisationAsync()).Kpis.Any(k => k.Id == nodeId);
        }
        catch (OkrRejectedException) { return false; }
    }

    /// <summary>
    /// What the page and the API show of an address: scheme, host and path, with any long path segment (Slack's and
    /// Teams' incoming-webhook addresses carry their secret there) and the query cut to their first characters.
    /// </summary>
    public static string Mask(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return "…";
        var path = string.Join('/', uri.AbsolutePath.Split('/').Select(s => s.Length >= 16 ? s[..4] + "…" : s));
        return $"{uri.Scheme}://{uri.Authority}{path}{(uri.Query.Length > 0 ? "?…" : "")}";
    }

    private async Task<List<WebhookView>> ReadAsync(string? id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            select w.id, w.name, w.url, w.format, w.scope, w.events, w.active, w.created_at, w.created_by, w.updated_at,
                   (select count(*) from okr_webhook_deliveries d where d.webhook_id = w.id and d.state = 'pending')::int,
                   (select count(*) from okr_webhook_deliveries d where d.webhook_id = w.id and d.state = 'delivered')::int,
                   (select count(*) from okr_webhook_deliveries d where d.webhook_id = w.id and d.state = 'dead')::int
            from okr_webhooks w where (@id::text is null or w.id = @id) order by w.created_at, w.id
            """);
        cmd.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Text) { Value = (object?)id ?? DBNull.Value });
        var list = new List<WebhookView>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new WebhookView(reader.GetString(0), reader.GetString(1), Mask(reader.GetString(2)), reader.GetString(3), reader.GetString(4),
                [.. reader.GetFieldValue<string[]>(5)], reader.GetBoolean(6), At(reader, 7), reader.GetString(8), At(reader, 9),
                reader.GetInt32(10), reader.GetInt32(11), reader.GetInt32(12)));
        return list;
    }

    private static DateTimeOffset At(NpgsqlDataReader reader, int i) => new(reader.GetFieldValue<DateTime>(i), TimeSpan.Zero);
}
