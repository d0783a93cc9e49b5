using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>One change as the audit shows it: who, through what, when, what — and the state before and after.</summary>
/// <param name="Id">"a{seq}" for an audit entry, "j{seq}" for a check-in or measurement (its journal row).</param>
public sealed record AuditRecord(
    string Id, DateTimeOffset At, string ActorId, string ActorName, string Via, string Action, string? Subject, string? CycleId,
    JsonElement? Before, JsonElement? After);

/// <summary>A page of the audit, newest first, and where the next (older) page starts.</summary>
public sealed record AuditPage(ImmutableArray<AuditRecord> Entries, string? Next);

/// <summary>What to read: any of a node, actors, an action (or a prefix such as "keyResult."), a time range, a cycle.</summary>
public sealed record AuditFilter(
    string? NodeId = null, IReadOnlyCollection<string>? Actors = null, string? Action = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 100, string? Cursor = null, string? CycleId = null);

/// <summary>
/// Reads the audit trail: <c>okr_audit</c> (structure, cycles, scenarios, accounts, tokens, sign-ins) together with the
/// journal, whose rows are the check-ins' and measurements' own entries (who, through what, when recorded, the value
/// before and after). Newest first, by the time each change was recorded.
/// </summary>
public sealed class AuditQueries(NpgsqlDataSource dataSource)
{
    public const int MaxLimit = 500;

    public async Task<AuditPage> ReadAsync(AuditFilter filter, CancellationToken ct = default)
    {
        var limit = filter.Limit is < 1 or > MaxLimit ? throw OkrRejectedException.Invalid("limit", $"must be between 1 and {MaxLimit}.") : filter.Limit;
        Filter("nodeId", filter.NodeId);
        Filter("cycleId", filter.CycleId);
        Filter("action", filter.Action);
        foreach (var actor in filter.Actors ?? []) Filter("actor", actor);
        var (cursorAt, cursorKey) = ParseCursor(filter.Cursor);
        var journalActions = filter.Action is null || AuditActions.CheckIn.StartsWith(filter.Action, StringComparison.Ordinal)
            || AuditActions.Measurement.StartsWith(filter.Action, StringComparison.Ordinal);
        // Both parts are ordered and cut to the page on their own (each can use its index), then merged.
        await using var cmd = dataSource.CreateCommand($"""
            select * from (
              (select 'a' || seq, 'a' || lpad(seq::text, 20, '0'), at, actor, actor_name, via, action, subject, cycle_id, before::text, after::text
               from okr_audit
               where (@node::text is null or subject = @node)
                 and (@cycle::text is null or cycle_id = @cycle)
                 and (@actors::text[] is null or actor = any(@actors))
                 and (@action::text is null or left(action, length(@action)) = @action)
                 and (@from::timestamptz is null or at >= @from) and (@to::timestamptz is null or at < @to)
                 and (@cursorAt::timestamptz is null or (at, 'a' || lpad(seq::text, 20, '0')) < (@cursorAt, @cursorKey))
               order by at desc, seq desc limit @limit)
              {(journalActions ? """
              union all
              (select 'j' || j.seq, 'j' || lpad(j.seq::text, 20, '0'), j.recorded_at, j.actor, j.author, j.via,
                      case when position(':' in j.node_id) > 0 then 'keyResult.checkIn' else 'kpi.measurement' end,
                      j.node_id, case when position(':' in j.node_id) > 0 then split_part(j.node_id, ':', 1) end,
                      (select json_build_object('value', p.value, 'at', p.at)::text from okr_journal p
                        where p.node_id = j.node_id and p.seq < j.seq order by p.seq desc limit 1),
                      json_build_object('value', j.value, 'confidence', j.confidence, 'note', j.note, 'at', j.at, 'entryId', j.entry_id)::text
               from okr_journal j
               where (@node::text is null or j.node_id = @node)
                 and (@cycle::text is null or left(j.node_id, length(@cycle) + 1) = @cycle || ':')
                 and (@actors::text[] is null or j.actor = any(@actors))
                 and (@action::text is null or left(case when position(':' in j.node_id) > 0 then 'keyResult.checkIn' else 'kpi.measurement' end, length(@action)) = @action)
                 and (@from::timestamptz is null or j.recorded_at >= @from) and (@to::timestamptz is null or j.recorded_at < @to)
                 and (@cursorAt::timestamptz is null or (j.recorded_at, 'j' || lpad(j.seq::text, 20, '0')) < (@cursorAt, @cursorKey))
               order by j.recorded_at desc, j.seq desc limit @limit)
              """ : "")}
            ) x order by 3 desc, 2 desc limit @limit
            """);
        cmd.Parameters.Add(new NpgsqlParameter("node", NpgsqlDbType.Text) { Value = (object?)filter.NodeId ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("cycle", NpgsqlDbType.Text) { Value = (object?)filter.CycleId ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("actors", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = filter.Actors is null ? DBNull.Value : filter.Actors.ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("action", NpgsqlDbType.Text) { Value = (object?)filter.Action ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = (object?)filter.From?.UtcDateTime ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.TimestampTz) { Value = (object?)filter.To?.UtcDateTime ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("cursorAt", NpgsqlDbType.TimestampTz) { Value = (object?)cursorAt?.UtcDateTime ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("cursorKey", NpgsqlDbType.Text) { Value = (object?)cursorKey ?? DBNull.Value });
        cmd.Parameters.AddWithValue("limit", limit);
        var entries = ImmutableArray.CreateBuilder<AuditRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            entries.Add(new AuditRecord(reader.GetString(0), new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                Json(reader, 9), Json(reader, 10)));
        }
        var page = entries.ToImmutable();
        var next = page.Length == limit ? Cursor(page[^1]) : null;
        return new AuditPage(page, next);
    }

    /// <summary>
    /// A filter is compared with ids, never stored: refused by name when no id could match it — PostgreSQL refuses a
    /// NUL in a text parameter outright, which would otherwise surface as a 500.
    /// </summary>
    private static void Filter(string field, string? value)
    {
        if (value is null) return;
        if (value.Length > MaxFilterLength) throw OkrRejectedException.Invalid(field, $"must be at most {MaxFilterLength} characters (got {value.Length}).");
        if (value.Any(char.IsControl)) throw OkrRejectedException.Invalid(field, "must not contain control characters (NUL, line breaks, tabs, …).");
    }

    private const int MaxFilterLength = 300;

    private static JsonElement? Json(NpgsqlDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : JsonDocument.Parse(reader.GetString(i)).RootElement.Clone();

    /// <summary>A cursor is the last entry's time and key: "{ticks}.{a|j}{seq}".</summary>
    private static string Cursor(AuditRecord last) =>
        $"{last.At.UtcTicks.ToString(CultureInfo.InvariantCulture)}.{last.Id[0]}{last.Id[1..].PadLeft(20, '0')}";

    private static (DateTimeOffset? At, string? Key) ParseCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor)) return (null, null);
        var dot = cursor.IndexOf('.');
        if (dot > 0 && long.TryParse(cursor[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks > 0 && ticks < DateTime.MaxValue.Ticks && cursor.Length == dot + 22 && cursor[dot + 1] is 'a' or 'j' && cursor[(dot + 2)..].All(char.IsAsciiDigit))
            return (new DateTimeOffset(ticks, TimeSpan.Zero), cursor[(dot + 1)..]);
        throw OkrRejectedException.Invalid("cursor", "is not a cursor this API gave (use the 'next' of the previous page).");
    }
}
