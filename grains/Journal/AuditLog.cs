using Npgsql;
using NpgsqlTypes;
using OkrGrid.Access;

namespace OkrGrid.Engine.Journal;

/// <summary>Where grains write their audit entries. Completes once they are durable; an entry already there (same source and seq) is kept once.</summary>
public interface IAuditLog
{
    Task AppendAsync(IReadOnlyList<AuditEntry> entries);

    /// <summary>The highest sequence of a source's entries in the table (0: none).</summary>
    Task<long> LastSeqAsync(string source);
}

/// <summary>
/// The audit trail on PostgreSQL (<c>okr_audit</c>). A grain puts an entry into its own state together with the
/// change it describes (one write: both or neither), then hands it here; an entry that did not arrive — the process
/// died in between — is handed again when the grain next activates, and the unique (source, seq) keeps it once.
/// </summary>
public sealed class PostgresAuditLog(NpgsqlDataSource dataSource) : IAuditLog
{
    public async Task<long> LastSeqAsync(string source)
    {
        // Served by the unique (source, source_seq) index: one index probe.
        await using var cmd = dataSource.CreateCommand("select coalesce(max(source_seq), 0) from okr_audit where source = @source");
        cmd.Parameters.AddWithValue("source", source);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task AppendAsync(IReadOnlyList<AuditEntry> entries)
    {
        if (entries.Count == 0) return;
        int n = entries.Count;
        var sources = new string[n]; var seqs = new long[n]; var ats = new DateTime[n]; var actors = new string[n];
        var names = new string[n]; var vias = new string[n]; var actions = new string[n]; var subjects = new string?[n];
        var cycles = new string?[n]; var befores = new string?[n]; var afters = new string?[n];
        for (int i = 0; i < n; i++)
        {
            var e = entries[i];
            sources[i] = e.Source; seqs[i] = e.Seq; ats[i] = e.At.UtcDateTime; actors[i] = e.ActorId; names[i] = e.ActorName;
            vias[i] = e.Via; actions[i] = e.Action; subjects[i] = e.Subject; cycles[i] = e.CycleId; befores[i] = e.Before; afters[i] = e.After;
        }
        await using var cmd = dataSource.CreateCommand("""
            insert into okr_audit (source, source_seq, at, actor, actor_name, via, action, subject, cycle_id, before, after)
            select s, q, a, ac, n, v, act, sub, c, b::jsonb, af::jsonb
            from unnest(@sources, @seqs, @ats, @actors, @names, @vias, @actions, @subjects, @cycles, @befores, @afters)
                 as t(s, q, a, ac, n, v, act, sub, c, b, af)
            on conflict (source, source_seq) do nothing
            """);
        cmd.Parameters.Add(Text("sources", sources));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = seqs });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime[]>("ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = ats });
        cmd.Parameters.Add(Text("actors", actors));
        cmd.Parameters.Add(Text("names", names));
        cmd.Parameters.Add(Text("vias", vias));
        cmd.Parameters.Add(Text("actions", actions));
        cmd.Parameters.Add(Text("subjects", subjects));
        cmd.Parameters.Add(Text("cycles", cycles));
        cmd.Parameters.Add(Text("befores", befores));
        cmd.Parameters.Add(Text("afters", afters));
        await cmd.ExecuteNonQueryAsync();
    }

    private static NpgsqlParameter Text(string name, string?[] values) =>
        new NpgsqlParameter<string?[]>(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = values };
}
