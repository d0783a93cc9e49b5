using Npgsql;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// Audit entries of what the web host changes itself — accounts, roles, tokens, wall links, sign-ins — written in the
/// same transaction as the change they describe (so there is never one without the other).
/// </summary>
public static class AuditWriter
{
    public const string Source = "access";

    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, DateTimeOffset at, string actorId, string actorName,
        string via, string action, string? subject, object? before, object? after, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            insert into okr_audit (source, source_seq, at, actor, actor_name, via, action, subject, before, after)
            values (@source, nextval('okr_audit_access_seq'), @at, @actor, @name, @via, @action, @subject, @before::jsonb, @after::jsonb)
            """, connection, tx);
        cmd.Parameters.AddWithValue("source", Source);
        cmd.Parameters.AddWithValue("at", at.UtcDateTime);
        cmd.Parameters.AddWithValue("actor", actorId);
        cmd.Parameters.AddWithValue("name", actorName);
        cmd.Parameters.AddWithValue("via", via);
        cmd.Parameters.AddWithValue("action", action);
        cmd.Parameters.AddWithValue("subject", (object?)subject ?? DBNull.Value);
        cmd.Parameters.AddWithValue("before", (object?)AuditJson.Of(before) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("after", (object?)AuditJson.Of(after) ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, DateTimeOffset at, Actor actor, string action,
        string? subject, object? before, object? after, CancellationToken ct) =>
        WriteAsync(connection, tx, at, actor.Id, actor.Name, actor.Via, action, subject, before, after, ct);
}
