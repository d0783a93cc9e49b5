using Npgsql;
using NpgsqlTypes;
using OkrGrid.Access;
using OkrGrid.Sources;

namespace OkrGrid.Engine.Integrations;

/// <summary>The "Sources" settings: schedules, push limits and how long a SQL query may run.</summary>
public sealed class SourceOptions
{
    /// <summary>The shortest schedule a pull source may have (tests lower it; a real install keeps a minute).</summary>
    public TimeSpan MinimumInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The schedule of a pull source created without one.</summary>
    public TimeSpan DefaultInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often each silo makes sure every pull source is active (and so polling) — after a restart or a silo's loss.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Pushes a source accepts per second, sustained, once its token checked out.</summary>
    public double PushesPerSecond { get; set; } = 50;

    /// <summary>Pushes a source accepts in a burst beyond the sustained rate.</summary>
    public int PushBurst { get; set; } = 200;

    /// <summary>How long a SQL source's query may run (statement_timeout).</summary>
    public TimeSpan SqlStatementTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>A row of <c>okr_sources</c>, secrets included: it never leaves the silo.</summary>
internal sealed record SourceRow(
    string Id, string NodeId, SourceNodeKind NodeKind, string CompanyId, string Name, SourceKind Kind, int? IntervalSeconds,
    string? Url, string? JsonPath, string? AuthHeaderName, string? AuthHeaderValue, string? ConnectionString, string? Query,
    byte[]? TokenHash, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, SourceStatus Status, double? LastWrittenValue);

/// <summary>One audit entry a change of a source writes in its own transaction.</summary>
internal sealed record SourceAudit(Actor? Actor, string Action, string NodeId, object? Before, object? After);

/// <summary>
/// <c>okr_sources</c>: each change of a source and its audit entry in one transaction (entries numbered by
/// <c>okr_audit_sources_seq</c>, source "sources", subject the key result or KPI — so they show in its activity).
/// </summary>
public sealed class SourceStore(NpgsqlDataSource dataSource)
{
    public const string AuditSource = "sources";

    private const string Columns = """
        id, node_id, node_kind, company_id, name, kind, interval_seconds, url, json_path, auth_header_name, auth_header_value,
        connection_string, query, token_hash, created_at, created_by, updated_at, last_value, last_value_at, last_attempt_at,
        last_success_at, failing_since, last_error, consecutive_failures, last_written_value
        """;

    internal async Task<SourceRow?> ReadAsync(string id)
    {
        await using var cmd = dataSource.CreateCommand($"select {Columns} from okr_sources where id = @id");
        cmd.Parameters.AddWithValue("id", id);
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        return new SourceRow(
            reader.GetString(0), reader.GetString(1), reader.GetString(2) == "kpi" ? SourceNodeKind.Kpi : SourceNodeKind.KeyResult,
            reader.GetString(3), reader.GetString(4), KindOf(reader.GetString(5)), Null<int>(reader, 6),
            NullText(reader, 7), NullText(reader, 8), NullText(reader, 9), NullText(reader, 10), NullText(reader, 11), NullText(reader, 12),
            reader.IsDBNull(13) ? null : (byte[])reader[13], At(reader, 14)!.Value, reader.GetString(15), At(reader, 16)!.Value,
            new SourceStatus(Null<double>(reader, 17), At(reader, 18), At(reader, 19), At(reader, 20), At(reader, 21), NullText(reader, 22), reader.GetInt32(23), null),
            Null<double>(reader, 24));
    }

    /// <summary>The sources of a key result or KPI, oldest first.</summary>
    public async Task<List<string>> IdsOfNodeAsync(string nodeId, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("select id from okr_sources where node_id = @node order by created_at, id");
        cmd.Parameters.AddWithValue("node", nodeId);
        return await IdsAsync(cmd, ct);
    }

    /// <summary>Every pull source (what the keep-alive sweep activates).</summary>
    public async Task<List<string>> PullIdsAsync(CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("select id from okr_sources where kind <> 'push'");
        return await IdsAsync(cmd, ct);
    }

    private static async Task<List<string>> IdsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var ids = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>Inserts the source; false when the id is taken.</summary>
    internal async Task<bool> InsertAsync(SourceRow row, SourceAudit audit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand("""
            insert into okr_sources (id, node_id, node_kind, company_id, name, kind, interval_seconds, url, json_path, auth_header_name,
                                     auth_header_value, connection_string, query, token_hash, created_at, created_by, updated_at)
            values (@id, @node, @nodeKind, @company, @name, @kind, @interval, @url, @path, @headerName, @headerValue, @conn, @query, @hash, @at, @by, @at)
            on conflict (id) do nothing
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", row.Id);
            cmd.Parameters.AddWithValue("node", row.NodeId);
            cmd.Parameters.AddWithValue("nodeKind", row.NodeKind == SourceNodeKind.Kpi ? "kpi" : "keyResult");
            cmd.Parameters.AddWithValue("company", row.CompanyId);
            cmd.Parameters.AddWithValue("kind", SourceRules.Name(row.Kind));
            cmd.Parameters.AddWithValue("at", row.CreatedAt.UtcDateTime);
            cmd.Parameters.AddWithValue("by", row.CreatedBy);
            AddSettings(cmd, row);
            if (await cmd.ExecuteNonQueryAsync() == 0) return false;
        }
        await AuditAsync(connection, tx, row.CreatedAt, audit);
        await tx.CommitAsync();
        return true;
    }

    internal async Task UpdateSettingsAsync(SourceRow row, SourceAudit audit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand("""
            update okr_sources set name = @name, interval_seconds = @interval, url = @url, json_path = @path, auth_header_name = @headerName,
                auth_header_value = @headerValue, connection_string = @conn, query = @query, token_hash = @hash, updated_at = @at
            where id = @id
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", row.Id);
            cmd.Parameters.AddWithValue("at", row.UpdatedAt.UtcDateTime);
            AddSettings(cmd, row);
            await cmd.ExecuteNonQueryAsync();
        }
        await AuditAsync(connection, tx, row.UpdatedAt, audit);
        await tx.CommitAsync();
    }

    internal async Task DeleteAsync(string id, DateTimeOffset at, SourceAudit audit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand("delete from okr_sources where id = @id", connection, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            await cmd.ExecuteNonQueryAsync();
        }
        await AuditAsync(connection, tx, at, audit);
        await tx.CommitAsync();
    }

    /// <summary>Writes the status after an attempt (with an audit entry when the source started or stopped failing).</summary>
    internal async Task SaveStatusAsync(string id, SourceStatus status, double? lastWritten, DateTimeOffset at, SourceAudit? audit)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = audit is null ? null : await connection.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand("""
            update okr_sources set last_value = @value, last_value_at = @valueAt, last_attempt_at = @attempt, last_success_at = @success,
                failing_since = @failing, last_error = @error, consecutive_failures = @failures, last_written_value = @written
            where id = @id
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.Add(new NpgsqlParameter("value", NpgsqlDbType.Double) { Value = (object?)status.LastValue ?? DBNull.Value });
            cmd.Parameters.Add(Instant("valueAt", status.LastValueAt));
            cmd.Parameters.Add(Instant("attempt", status.LastAttemptAt));
            cmd.Parameters.Add(Instant("success", status.LastSuccessAt));
            cmd.Parameters.Add(Instant("failing", status.FailingSince));
            cmd.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)status.LastError ?? DBNull.Value });
            cmd.Parameters.AddWithValue("failures", status.ConsecutiveFailures);
            cmd.Parameters.Add(new NpgsqlParameter("written", NpgsqlDbType.Double) { Value = (object?)lastWritten ?? DBNull.Value });
            await cmd.ExecuteNonQueryAsync();
        }
        if (audit is not null)
        {
            await AuditAsync(connection, tx, at, audit);
            await tx!.CommitAsync();
        }
    }

    private static void AddSettings(NpgsqlCommand cmd, SourceRow row)
    {
        cmd.Parameters.AddWithValue("name", row.Name);
        cmd.Parameters.Add(new NpgsqlParameter("interval", NpgsqlDbType.Integer) { Value = (object?)row.IntervalSeconds ?? DBNull.Value });
        cmd.Parameters.Add(Text("url", row.Url));
        cmd.Parameters.Add(Text("path", row.JsonPath));
        cmd.Parameters.Add(Text("headerName", row.AuthHeaderName));
        cmd.Parameters.Add(Text("headerValue", row.AuthHeaderValue));
        cmd.Parameters.Add(Text("conn", row.ConnectionString));
        cmd.Parameters.Add(Text("query", row.Query));
        cmd.Parameters.Add(new NpgsqlParameter("hash", NpgsqlDbType.Bytea) { Value = (object?)row.TokenHash ?? DBNull.Value });
    }

    private static async Task AuditAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, DateTimeOffset at, SourceAudit audit)
    {
        var who = audit.Actor ?? Actor.System;
        await using var cmd = new NpgsqlCommand("""
            insert into okr_audit (source, source_seq, at, actor, actor_name, via, action, subject, cycle_id, before, after)
            values (@source, nextval('okr_audit_sources_seq'), @at, @actor, @name, @via, @action, @subject, @cycle, @before::jsonb, @after::jsonb)
            """, connection, tx);
        cmd.Parameters.AddWithValue("source", AuditSource);
        cmd.Parameters.AddWithValue("at", at.UtcDateTime);
        cmd.Parameters.AddWithValue("actor", who.Id);
        cmd.Parameters.AddWithValue("name", who.Name);
        cmd.Parameters.AddWithValue("via", who.Via);
        cmd.Parameters.AddWithValue("action", audit.Action);
        cmd.Parameters.AddWithValue("subject", audit.NodeId);
        cmd.Parameters.Add(Text("cycle", NodeIds.CycleOf(audit.NodeId)));
        cmd.Parameters.Add(Text("before", AuditJson.Of(audit.Before)));
        cmd.Parameters.Add(Text("after", AuditJson.Of(audit.After)));
        await cmd.ExecuteNonQueryAsync();
    }

    private static SourceKind KindOf(string kind) => kind switch
    {
        "push" => SourceKind.Push,
        "http" => SourceKind.Http,
        _ => SourceKind.Sql,
    };

    private static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Instant(string name, DateTimeOffset? value) =>
        new(name, NpgsqlDbType.TimestampTz) { Value = (object?)value?.UtcDateTime ?? DBNull.Value };

    private static string? NullText(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static T? Null<T>(NpgsqlDataReader reader, int i) where T : struct => reader.IsDBNull(i) ? null : reader.GetFieldValue<T>(i);

    private static DateTimeOffset? At(NpgsqlDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(i), DateTimeKind.Utc));
}
