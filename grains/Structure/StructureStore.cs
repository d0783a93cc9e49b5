using System.Buffers;
using Npgsql;
using NpgsqlTypes;
using OkrGrid.Access;
using OkrGrid.Structure;
using Orleans.Serialization;

namespace OkrGrid.Engine.Structure;

/// <summary>One row of a cycle's structure log as read back: the change and its audit entry (if it had one).</summary>
public sealed record LoggedChange(StructureChange Change, AuditEntry? Audit);

/// <summary>What a cycle starts from: its latest snapshot (null: none yet) and the log after it, in order.</summary>
public sealed record StoredStructure(CycleStructureState? Snapshot, IReadOnlyList<LoggedChange> Tail);

/// <summary>
/// A log row or snapshot that does not decode: the start stops rather than run on a different structure. A BCL
/// exception with the whole story in its message (no inner exception), so it crosses to the caller intact.
/// </summary>
public static class StructureLogCorruption
{
    public static InvalidDataException Error(string cycleId, long seq, string what, Exception? cause) =>
        new($"Cycle '{cycleId}': the structure {what} at sequence {seq} cannot be read ({cause?.GetType().Name}: {cause?.Message ?? "no detail"}). " +
            "The cycle does not start rather than run on a structure that differs from what was committed.");
}

/// <summary>
/// Where cycles' structures live: an append-only log of changes and occasional whole snapshots. An interface so the
/// tests can stand between the cycle and the real store (e.g. lose the answer to a commit that went through).
/// </summary>
public interface IStructureStore
{
    /// <summary>Appends changes in one statement (one commit). A sequence already taken fails the whole append.</summary>
    Task AppendAsync(string cycleId, IReadOnlyList<LoggedChange> changes);

    /// <summary>Writes a whole structure (idempotent: a snapshot of the same sequence is written once).</summary>
    Task WriteSnapshotAsync(string cycleId, CycleStructureState state);

    /// <summary>The latest snapshot and every change after it, with their audit entries.</summary>
    Task<StoredStructure> LoadLatestAsync(string cycleId);

    /// <summary>The latest snapshot taken at or before <paramref name="at"/> and the changes after it up to that instant.</summary>
    Task<(CycleStructureState? Snapshot, IReadOnlyList<StructureChange> Changes)> LoadAsOfAsync(string cycleId, DateTimeOffset at);

    /// <summary>Changes after <paramref name="afterSeq"/> up to <paramref name="until"/> (null: all), in order.</summary>
    Task<IReadOnlyList<StructureChange>> LoadChangesAsync(string cycleId, long afterSeq, DateTimeOffset? until);

    /// <summary>Changes with sequences in (<paramref name="afterSeq"/>, <paramref name="upToSeq"/>], in order.</summary>
    Task<IReadOnlyList<StructureChange>> LoadRangeAsync(string cycleId, long afterSeq, long upToSeq);

    /// <summary>The sequence of the last change in effect at <paramref name="at"/>; 0 when none was.</summary>
    Task<long> SeqAtAsync(string cycleId, DateTimeOffset at);

    /// <summary>The sequence of the cycle's last log row (or of its snapshot when the log is empty; 0: neither).</summary>
    Task<long> LastSeqAsync(string cycleId);

    /// <summary>The instant of the cycle's first recorded structure (its creation, or the snapshot it was migrated to).</summary>
    Task<DateTimeOffset?> FirstAtAsync(string cycleId);
}

/// <summary>
/// Where cycles' structures live (migration 0005): an append-only log of changes and occasional whole snapshots.
/// Payloads are Orleans binary — compact and fast for a snapshot of a million nodes, and tolerant of added fields
/// through the [Id]s; the op types carry aliases, so renaming a class never makes a stored row unreadable.
/// </summary>
public sealed class StructureStore(NpgsqlDataSource dataSource, Serializer serializer) : IStructureStore
{
    /// <summary>Appends changes in one statement (one commit). A sequence already taken fails the whole append.</summary>
    public async Task AppendAsync(string cycleId, IReadOnlyList<LoggedChange> changes)
    {
        int n = changes.Count;
        if (n == 0) return;
        var seqs = new long[n]; var ats = new DateTime[n]; var ops = new byte[n][]; var audits = new byte[]?[n];
        for (int i = 0; i < n; i++)
        {
            var c = changes[i];
            seqs[i] = c.Change.Seq;
            ats[i] = c.Change.At.UtcDateTime;
            ops[i] = Encode(c.Change.Ops, c.Change.Ops.Length).ToArray();
            audits[i] = c.Audit is null ? null : Encode(c.Audit, 1).ToArray(); // an import's entry names every node: megabytes, like its ops
        }
        await using var cmd = dataSource.CreateCommand("""
            insert into okr_structure_log (cycle_id, seq, at, ops, audit)
            select @cycle, s, a, o, au from unnest(@seqs, @ats, @ops, @audits) as t(s, a, o, au)
            """);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = seqs });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime[]>("ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = ats });
        cmd.Parameters.Add(new NpgsqlParameter<byte[][]>("ops", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = ops });
        cmd.Parameters.Add(new NpgsqlParameter<byte[]?[]>("audits", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = audits });
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Writes a whole structure (idempotent: a snapshot of the same sequence is written once).</summary>
    public async Task WriteSnapshotAsync(string cycleId, CycleStructureState state)
    {
        var payload = Encode(state, (long)state.Objectives.Length + state.KeyResults.Length + state.Edges.Length + state.Frozen.Length);
        await using var cmd = dataSource.CreateCommand("""
            insert into okr_structure_snapshot (cycle_id, seq, at, state) values (@cycle, @seq, @at, @state)
            on conflict do nothing
            """);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        cmd.Parameters.AddWithValue("seq", state.Seq);
        cmd.Parameters.AddWithValue("at", state.At.UtcDateTime);
        cmd.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("state", NpgsqlDbType.Bytea) { TypedValue = payload });
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A first guess at the encoded size of a definition, edge or op (ids, titles and references).</summary>
    private const int BytesPerItem = 64;

    /// <summary>
    /// Encodes a payload into a buffer of its own. Orleans' SerializeToArray writes through its pooled buffer, whose
    /// pool keeps every 4 KB block it ever handed out for the life of the process: a payload of megabytes (a snapshot
    /// or the import of a large cycle) stayed pinned in memory after it was written — 9 MB after a 100k-node import.
    /// The bytes are the same.
    /// </summary>
    private ReadOnlyMemory<byte> Encode<T>(T value, long items)
    {
        var buffer = new ArrayBufferWriter<byte>((int)Math.Clamp(items * BytesPerItem, 256, 1 << 28));
        serializer.Serialize(value, buffer);
        return buffer.WrittenMemory;
    }

    /// <summary>The latest snapshot and every change after it, with their audit entries.</summary>
    public async Task<StoredStructure> LoadLatestAsync(string cycleId)
    {
        var snapshot = await ReadSnapshotAsync(cycleId, null);
        var tail = await ReadChangesAsync(cycleId, snapshot?.Seq ?? 0, null, withAudit: true);
        return new StoredStructure(snapshot, tail);
    }

    /// <summary>The latest snapshot taken at or before <paramref name="at"/> and the changes after it up to that instant.</summary>
    public async Task<(CycleStructureState? Snapshot, IReadOnlyList<StructureChange> Changes)> LoadAsOfAsync(string cycleId, DateTimeOffset at)
    {
        var snapshot = await ReadSnapshotAsync(cycleId, at);
        var changes = await ReadChangesAsync(cycleId, snapshot?.Seq ?? 0, at, withAudit: false);
        return (snapshot, [.. changes.Select(c => c.Change)]);
    }

    /// <summary>Changes after <paramref name="afterSeq"/> up to <paramref name="until"/> (null: all), in order.</summary>
    public async Task<IReadOnlyList<StructureChange>> LoadChangesAsync(string cycleId, long afterSeq, DateTimeOffset? until) =>
        [.. (await ReadChangesAsync(cycleId, afterSeq, until, withAudit: false)).Select(c => c.Change)];

    /// <summary>Changes with sequences in (<paramref name="afterSeq"/>, <paramref name="upToSeq"/>], in order.</summary>
    public async Task<IReadOnlyList<StructureChange>> LoadRangeAsync(string cycleId, long afterSeq, long upToSeq) =>
        [.. (await ReadChangesAsync(cycleId, afterSeq, null, withAudit: false, upToSeq)).Select(c => c.Change)];

    /// <summary>
    /// The sequence of the last change in effect at <paramref name="at"/> (changes take effect in sequence order): of a
    /// log row, or of a snapshot with no log before it (a migrated cycle); 0 when none was. Found from the end
    /// backwards, so it costs the changes after the instant.
    /// </summary>
    public async Task<long> SeqAtAsync(string cycleId, DateTimeOffset at)
    {
        await using var cmd = dataSource.CreateCommand("""
            select greatest((select max(seq) from okr_structure_log where cycle_id = @cycle and at <= @at),
                            (select max(seq) from okr_structure_snapshot where cycle_id = @cycle and at <= @at), 0)
            """);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        cmd.Parameters.AddWithValue("at", at.UtcDateTime);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>The sequence of the cycle's last log row (or of its snapshot when the log is empty; 0: neither).</summary>
    public async Task<long> LastSeqAsync(string cycleId)
    {
        await using var cmd = dataSource.CreateCommand("""
            select greatest((select max(seq) from okr_structure_log where cycle_id = @cycle),
                            (select max(seq) from okr_structure_snapshot where cycle_id = @cycle), 0)
            """);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>The instant of the cycle's first recorded structure (its creation, or the snapshot it was migrated to).</summary>
    public async Task<DateTimeOffset?> FirstAtAsync(string cycleId)
    {
        await using var cmd = dataSource.CreateCommand("""
            select min(at) from (
                (select at from okr_structure_log where cycle_id = @cycle order by seq limit 1)
                union all
                (select at from okr_structure_snapshot where cycle_id = @cycle order by seq limit 1)) f
            """);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        var value = await cmd.ExecuteScalarAsync();
        return value is DateTime t ? new DateTimeOffset(t, TimeSpan.Zero) : null;
    }

    private async Task<CycleStructureState?> ReadSnapshotAsync(string cycleId, DateTimeOffset? atOrBefore)
    {
        await using var cmd = dataSource.CreateCommand("""
            select seq, state from okr_structure_snapshot
            where cycle_id = @cycle and (@until::timestamptz is null or at <= @until)
            order by seq desc limit 1
            """);
        cmd.Parameters.AddWithValue("cycle", cycleId);
        cmd.Parameters.Add(new NpgsqlParameter("until", NpgsqlDbType.TimestampTz) { Value = (object?)atOrBefore?.UtcDateTime ?? DBNull.Value });
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        var seq = reader.GetInt64(0);
        try
        {
            return serializer.Deserialize<CycleStructureState>(reader.GetFieldValue<byte[]>(1));
        }
        catch (Exception ex)
        {
            throw StructureLogCorruption.Error(cycleId, seq, "snapshot", ex);
        }
    }

    private async Task<List<LoggedChange>> ReadChangesAsync(string cycleId, long afterSeq, DateTimeOffset? until, bool withAudit, long upToSeq = long.MaxValue)
    {
        await using var cmd = dataSource.CreateCommand(withAudit
            ? "select seq, at, ops, audit from okr_structure_log where cycle_id = @cycle and seq > @after and seq <= @upTo and (@until::timestamptz is null or at <= @until) order by seq"
            : "select seq, at, ops, null from okr_structure_log where cycle_id = @cycle and seq > @after and seq <= @upTo and (@until::timestamptz is null or at <= @until) order by seq");
        cmd.Parameters.AddWithValue("cycle", cycleId);
        cmd.Parameters.AddWithValue("after", afterSeq);
        cmd.Parameters.AddWithValue("upTo", upToSeq);
        cmd.Parameters.Add(new NpgsqlParameter("until", NpgsqlDbType.TimestampTz) { Value = (object?)until?.UtcDateTime ?? DBNull.Value });
        var result = new List<LoggedChange>();
        await using var reader = await cmd.ExecuteReaderAsync();
        var expected = afterSeq + 1;
        while (await reader.ReadAsync())
        {
            var seq = reader.GetInt64(0);
            if (seq != expected)
                throw StructureLogCorruption.Error(cycleId, expected, "log", new InvalidDataException($"the log jumps from {expected - 1} to {seq}"));
            expected = seq + 1;
            try
            {
                var ops = serializer.Deserialize<ImmutableArray<StructureOp>>(reader.GetFieldValue<byte[]>(2));
                if (ops.IsDefault || ops.Any(o => o is null)) throw new InvalidDataException("the row holds no ops");
                var audit = reader.IsDBNull(3) ? null : serializer.Deserialize<AuditEntry>(reader.GetFieldValue<byte[]>(3));
                result.Add(new LoggedChange(new StructureChange(seq, new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero), ops), audit));
            }
            catch (Exception ex)
            {
                throw StructureLogCorruption.Error(cycleId, seq, "log row", ex);
            }
        }
        return result;
    }
}
