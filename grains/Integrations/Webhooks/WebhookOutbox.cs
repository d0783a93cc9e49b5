using Npgsql;
using NpgsqlTypes;

namespace OkrGrid.Engine.Integrations.Webhooks;

/// <summary>
/// An event to write: <paramref name="Key"/> makes it once (a second write of the same key is a no-op),
/// <paramref name="Scopes"/> are the scopes it falls in, <paramref name="Data"/> its JSON (with a "summary").
/// </summary>
public sealed record OutboxEvent(string Key, string Kind, DateTimeOffset At, IReadOnlyList<string> Scopes, string Data);

/// <summary>
/// The durable outbox: events and, in the same statement, a delivery for every active subscription whose events and
/// scope match. Once this commits, the event will be delivered (at least once) whatever happens to this host.
/// </summary>
public sealed class WebhookOutbox(NpgsqlDataSource dataSource, WebhookClock clock)
{
    private const char ScopeSeparator = '\u001f';

    /// <summary>Raised after a commit that made deliveries: the local dispatcher wakes at once instead of at its next poll.</summary>
    public event Action? Written;

    public async Task<int> WriteAsync(IReadOnlyList<OutboxEvent> events, CancellationToken ct = default)
    {
        if (events.Count == 0) return 0;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var n = await WriteAsync(connection, null, events, ct);
        if (n > 0) Written?.Invoke();
        return n;
    }

    /// <summary>Within the caller's transaction (the caller raises <see cref="Notify"/> after its commit).</summary>
    public async Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, IReadOnlyList<OutboxEvent> events, CancellationToken ct = default)
    {
        if (events.Count == 0) return 0;
        var now = clock.UtcNow.UtcDateTime;
        await using var cmd = new NpgsqlCommand("""
            with ev as (
                insert into okr_webhook_events (event_key, kind, at, scopes, data)
                select k, kd, a, string_to_array(s, chr(31)), d::jsonb from unnest(@keys, @kinds, @ats, @scopes, @datas) as t(k, kd, a, s, d)
                on conflict (event_key) do nothing
                returning id, kind, scopes
            )
            insert into okr_webhook_deliveries (id, webhook_id, event_id, next_at, created_at)
            select gen_random_uuid(), w.id, ev.id, @now, @now
            from ev join okr_webhooks w on w.active and ev.kind = any(w.events) and w.scope = any(ev.scopes)
            on conflict do nothing
            """, connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. events.Select(e => e.Key)] });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("kinds", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. events.Select(e => e.Kind)] });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime[]>("ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. events.Select(e => e.At.UtcDateTime)] });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("scopes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. events.Select(e => string.Join(ScopeSeparator, e.Scopes))] });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("datas", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. events.Select(e => e.Data)] });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public void Notify() => Written?.Invoke();
}
