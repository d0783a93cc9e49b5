using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;
using OkrGrid.Engine.Telemetry;

namespace OkrGrid.Engine.Journal;

public sealed class JournalOptions
{
    /// <summary>
    /// Batches committed concurrently; while one commits the next fills. Few is better: every extra writer makes
    /// batches smaller and adds commits and thread wake-ups, which on a small machine cost more than they overlap.
    /// </summary>
    public int Writers { get; set; } = 2;

    /// <summary>Most entries in one commit.</summary>
    public int MaxBatch { get; set; } = 1000;

    /// <summary>Most nodes loaded in one query.</summary>
    public int MaxLoadBatch { get; set; } = 500;

    /// <summary>
    /// Queries side by side when many nodes' latest facts are read at once (a large cycle's scorecard as of an instant,
    /// or a cold cycle's snapshot): each part is one database backend's work.
    /// </summary>
    public int LatestParallelism { get; set; } = 2;

    /// <summary>
    /// When most of a cycle's key results are read at once (see <see cref="IJournal.LatestAsync"/>'s cycle), read the
    /// cycle's entries in one ordered scan instead of a probe per node: Auto when the journal's statistics say nodes
    /// have few entries each (the scan reads every entry, a probe one); Always and Never for tests and comparisons.
    /// </summary>
    public CycleScan CycleScan { get; set; } = CycleScan.Auto;

    /// <summary>Fewest of a cycle's nodes read at once for the scan to be considered.</summary>
    public int CycleScanMin { get; set; } = 10_000;
}

public enum CycleScan { Auto, Always, Never }

/// <summary>
/// The journal on PostgreSQL. Appends from every grain of the silo are queued and committed in batches — one
/// transaction for many check-ins — and each caller is acknowledged only after its batch committed. One commit
/// per check-in would cap the engine at the disk's fsync rate; batching lifts that cap without weakening
/// durability. Loads are batched the same way, so a cold start reads many nodes per query.
/// </summary>
public sealed class PostgresJournal : IJournal, IHostedService
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresJournal> _logger;
    private readonly JournalOptions _options;
    private readonly Channel<PendingAppend> _appends = Channel.CreateUnbounded<PendingAppend>(new() { SingleReader = false });
    private readonly Channel<PendingLoad> _loads = Channel.CreateUnbounded<PendingLoad>(new() { SingleReader = true });
    private readonly Task _loops;

    public PostgresJournal(NpgsqlDataSource dataSource, IOptions<JournalOptions> options, ILogger<PostgresJournal> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _options = options.Value;
        // The loops start with the service, not with the host: grains may append before hosted services start.
        var loops = Enumerable.Range(0, Math.Max(1, _options.Writers)).Select(_ => Task.Run(WriteLoopAsync)).ToList();
        loops.Add(Task.Run(LoadLoopAsync));
        _loops = Task.WhenAll(loops);
    }

    private sealed record PendingAppend(JournalEntry Entry, TaskCompletionSource<bool> Done);
    private sealed record PendingLoad(string NodeId, TaskCompletionSource<IReadOnlyList<JournalEntry>> Done);

    public Task<bool> AppendAsync(JournalEntry entry)
    {
        // Continuations are not forced onto the thread pool: the callers are grains, whose awaits resume on their
        // own activation's scheduler anyway, so completing a batch just queues each grain's turn (one hop, not two).
        var pending = new PendingAppend(entry, new TaskCompletionSource<bool>());
        if (!_appends.Writer.TryWrite(pending)) throw new InvalidOperationException("The journal is shut down.");
        return pending.Done.Task;
    }

    public Task<IReadOnlyList<JournalEntry>> LoadAsync(string nodeId)
    {
        var pending = new PendingLoad(nodeId, new TaskCompletionSource<IReadOnlyList<JournalEntry>>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_loads.Writer.TryWrite(pending)) throw new InvalidOperationException("The journal is shut down.");
        return pending.Done.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Drain what was already queued: a queued check-in is not yet acknowledged, but finishing it on a clean
        // shutdown is kinder than failing it.
        _appends.Writer.TryComplete();
        _loads.Writer.TryComplete();
        try { await _loops.WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { } // stopped hard: what is still queued was never acknowledged
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingAppend>(_options.MaxBatch);
        var reader = _appends.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var item)) batch.Add(item);
            if (batch.Count == 0) continue;
            var started = Stopwatch.GetTimestamp();
            try
            {
                var inserted = await InsertBatchAsync(batch);
                RecordCommit(batch, inserted, started, OkrGridMetrics.OutcomeOk);
                foreach (var p in batch) p.Done.TrySetResult(inserted.Remove((p.Entry.NodeId, p.Entry.EntryId)));
            }
            catch (Exception ex)
            {
                RecordCommit(batch, null, started, OkrGridMetrics.OutcomeError);
                _logger.BatchFailed(ex, batch.Count);
                foreach (var p in batch) p.Done.TrySetException(ex);
            }
        }
    }

    /// <summary>
    /// The commit's size and time, and the facts it made durable: a check-in counts once, when its row is new (a retry
    /// of a committed one inserts nothing). A KPI's node id has no cycle prefix; a key result's has.
    /// </summary>
    private static void RecordCommit(List<PendingAppend> batch, HashSet<(string, string)>? inserted, long started, KeyValuePair<string, object?> outcome)
    {
        OkrGridMetrics.JournalCommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, outcome);
        OkrGridMetrics.JournalBatchSize.Record(batch.Count, outcome);
        if (inserted is null) return;
        long checkIns = 0, measurements = 0;
        foreach (var (nodeId, _) in inserted)
        {
            if (NodeIds.CycleOf(nodeId) is null) measurements++;
            else checkIns++;
        }
        if (checkIns > 0) OkrGridMetrics.CheckIns.Add(checkIns);
        if (measurements > 0) OkrGridMetrics.Measurements.Add(measurements);
    }

    /// <summary>One statement, one commit; returns the keys that were new (a duplicate inserts nothing).</summary>
    private async Task<HashSet<(string, string)>> InsertBatchAsync(List<PendingAppend> batch)
    {
        int n = batch.Count;
        var nodes = new string[n]; var ids = new string[n]; var values = new double[n]; var confidences = new double?[n];
        var notes = new string[n]; var authors = new string[n]; var ats = new DateTime[n]; var actors = new string[n]; var vias = new string[n];
        for (int i = 0; i < n; i++)
        {
            var e = batch[i].Entry;
            nodes[i] = e.NodeId; ids[i] = e.EntryId; values[i] = e.Value; confidences[i] = e.Confidence;
            notes[i] = e.Note; authors[i] = e.Author; ats[i] = e.At.UtcDateTime; actors[i] = e.Actor; vias[i] = e.Via;
        }
        await using var cmd = _dataSource.CreateCommand("""
            insert into okr_journal (node_id, entry_id, value, confidence, note, author, at, actor, via)
            select * from unnest(@nodes, @ids, @values, @confidences, @notes, @authors, @ats, @actors, @vias)
            on conflict (node_id, entry_id) do nothing
            returning node_id, entry_id
            """);
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("nodes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = nodes });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
        cmd.Parameters.Add(new NpgsqlParameter<double[]>("values", NpgsqlDbType.Array | NpgsqlDbType.Double) { TypedValue = values });
        cmd.Parameters.Add(new NpgsqlParameter<double?[]>("confidences", NpgsqlDbType.Array | NpgsqlDbType.Double) { TypedValue = confidences });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("notes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = notes });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("authors", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = authors });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime[]>("ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = ats });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("actors", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = actors });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("vias", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = vias });
        var inserted = new HashSet<(string, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) inserted.Add((reader.GetString(0), reader.GetString(1)));
        return inserted;
    }

    public async Task<JournalEntry?> GetAsync(string nodeId, string entryId)
    {
        await using var cmd = _dataSource.CreateCommand("""
            select node_id, entry_id, value, confidence, note, author, at, actor, via
            from okr_journal where node_id = @node and entry_id = @entry
            """);
        cmd.Parameters.AddWithValue("node", nodeId);
        cmd.Parameters.AddWithValue("entry", entryId);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? Read(reader) : null;
    }

    private static JournalEntry Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetDouble(2),
        reader.IsDBNull(3) ? null : reader.GetDouble(3), reader.GetString(4), reader.GetString(5),
        new DateTimeOffset(reader.GetFieldValue<DateTime>(6), TimeSpan.Zero), reader.GetString(7), reader.GetString(8));

    public async Task<IReadOnlyDictionary<string, LatestEntry>> LatestAsync(IReadOnlyCollection<string> nodeIds, DateTimeOffset? asOf = null,
        string? mostOfCycle = null)
    {
        var ids = nodeIds.ToArray();
        if (ids.Length == 0) return new Dictionary<string, LatestEntry>();
        if (mostOfCycle is not null && ids.Length >= _options.CycleScanMin && await CycleScanPaysAsync())
        {
            var prefix = mostOfCycle + NodeIds.Separator;
            var inCycle = ids.Where(id => id.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
            if (inCycle.Length >= _options.CycleScanMin)
            {
                var others = ids.Where(id => !id.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
                var scanned = ScanCycleAsync(mostOfCycle, inCycle, asOf);
                var probed = others.Length == 0 ? Task.FromResult<IReadOnlyDictionary<string, LatestEntry>>(new Dictionary<string, LatestEntry>()) : ProbeAsync(others, asOf);
                var merged = await scanned;
                foreach (var (id, entry) in await probed) merged[id] = entry;
                return merged;
            }
        }
        return await ProbeAsync(ids, asOf);
    }

    private async Task<IReadOnlyDictionary<string, LatestEntry>> ProbeAsync(string[] ids, DateTimeOffset? asOf)
    {
        // Each node costs the database one index probe (a few µs of its CPU), so a whole large cycle — time travel, the
        // snapshot of a cold cycle — is split into parts queried side by side on separate connections.
        var parts = Math.Clamp(ids.Length / LatestPartMin, 1, Math.Max(1, _options.LatestParallelism));
        if (parts == 1) return await LatestPartAsync(ids, asOf);
        var size = (ids.Length + parts - 1) / parts;
        var results = await Task.WhenAll(ids.Chunk(size).Select(chunk => LatestPartAsync(chunk, asOf)));
        var merged = new Dictionary<string, LatestEntry>(ids.Length);
        foreach (var part in results)
            foreach (var (id, entry) in part) merged[id] = entry;
        return merged;
    }

    /// <summary>
    /// The latest facts of <paramref name="ids"/> (all of one cycle) from one backward scan of the as-of index over the
    /// cycle's range of node ids (they all start "cycle:"; the column sorts bytewise, 0007), split at the ids' median
    /// into parts read side by side. The latest entry of each node comes first in its run; where it gave no
    /// confidence, the latest that did is probed for those nodes alone. Same answer as the probes (tested).
    /// </summary>
    private async Task<Dictionary<string, LatestEntry>> ScanCycleAsync(string cycleId, string[] ids, DateTimeOffset? asOf)
    {
        Interlocked.Increment(ref _cycleScans);
        var sorted = ids.Order(StringComparer.Ordinal).ToArray();
        var parts = Math.Max(1, _options.LatestParallelism);
        var bounds = new string[parts + 1];
        bounds[0] = cycleId + NodeIds.Separator;
        bounds[parts] = cycleId + (char)(NodeIds.Separator + 1);
        for (int i = 1; i < parts; i++) bounds[i] = sorted[sorted.Length * i / parts];
        var wanted = new HashSet<string>(ids, StringComparer.Ordinal);
        var results = await Task.WhenAll(Enumerable.Range(0, parts).Select(i => ScanRangeAsync(bounds[i], bounds[i + 1], asOf, wanted)));
        var merged = new Dictionary<string, LatestEntry>(ids.Length);
        var unconfident = new List<string>();
        foreach (var part in results)
            foreach (var (id, entry) in part)
            {
                merged[id] = entry;
                if (entry.Confidence is null) unconfident.Add(id);
            }
        if (unconfident.Count > 0)
            foreach (var (id, confidence) in await LatestConfidenceAsync([.. unconfident], asOf))
                merged[id] = merged[id] with { Confidence = confidence };
        return merged;
    }

    private async Task<List<(string Id, LatestEntry Entry)>> ScanRangeAsync(string from, string to, DateTimeOffset? asOf, HashSet<string> wanted)
    {
        var result = new List<(string, LatestEntry)>();
        if (string.CompareOrdinal(from, to) >= 0) return result;
        await using var cmd = _dataSource.CreateCommand("""
            select distinct on (node_id) node_id, value, at, confidence
            from okr_journal
            where node_id >= @from and node_id < @to and at <= @asOf
            order by node_id desc, at desc, seq desc
            """);
        cmd.Parameters.Add(new NpgsqlParameter<string>("from", NpgsqlDbType.Text) { TypedValue = from });
        cmd.Parameters.Add(new NpgsqlParameter<string>("to", NpgsqlDbType.Text) { TypedValue = to });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("asOf", NpgsqlDbType.TimestampTz) { TypedValue = (asOf ?? DateTimeOffset.MaxValue).UtcDateTime });
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var id = reader.GetString(0);
            if (!wanted.Contains(id)) continue; // nodes of the cycle not asked for: active elsewhere, or not in the structure then
            result.Add((id, new LatestEntry(reader.GetDouble(1), new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero),
                reader.IsDBNull(3) ? null : reader.GetDouble(3))));
        }
        return result;
    }

    private async Task<Dictionary<string, double>> LatestConfidenceAsync(string[] ids, DateTimeOffset? asOf)
    {
        var result = new Dictionary<string, double>(ids.Length);
        await using var cmd = _dataSource.CreateCommand("""
            select n.id, c.confidence
            from unnest(@nodes) as n(id)
            cross join lateral (select confidence from okr_journal
                                where node_id = n.id and at <= @asOf and confidence is not null
                                order by at desc, seq desc limit 1) c
            """);
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("asOf", NpgsqlDbType.TimestampTz) { TypedValue = (asOf ?? DateTimeOffset.MaxValue).UtcDateTime });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("nodes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result[reader.GetString(0)] = reader.GetDouble(1);
        return result;
    }

    private (DateTimeOffset At, bool Pays)? _cycleScanPays;
    private long _cycleScans;

    /// <summary>How many times a cycle's facts were read by one scan rather than probes (since the start).</summary>
    public long CycleScans => Interlocked.Read(ref _cycleScans);

    /// <summary>
    /// Whether a cycle's scan costs less than its probes: it reads every entry (~0.2 µs each), a probe one node (~4 µs),
    /// so it pays while nodes average no more than 20 entries — by the table's statistics, re-read every 5 minutes.
    /// Unknown statistics (never analysed): probes.
    /// </summary>
    private async Task<bool> CycleScanPaysAsync()
    {
        if (_options.CycleScan != CycleScan.Auto) return _options.CycleScan == CycleScan.Always;
        if (_cycleScanPays is { } known && DateTimeOffset.UtcNow - known.At < TimeSpan.FromMinutes(5)) return known.Pays;
        // The range of a cycle's ids is its nodes only where node_id sorts bytewise (0007 makes it so).
        await using var cmd = _dataSource.CreateCommand("""
            select c.reltuples::float8, s.n_distinct::float8,
                   (select a.attcollation = 'pg_catalog."C"'::regcollation from pg_attribute a
                    where a.attrelid = c.oid and a.attname = 'node_id')
            from pg_class c
            left join pg_stats s on s.schemaname = current_schema() and s.tablename = 'okr_journal' and s.attname = 'node_id'
            where c.oid = 'okr_journal'::regclass
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var pays = false;
        if (await reader.ReadAsync() && !reader.IsDBNull(1) && reader.GetBoolean(2))
        {
            double rows = reader.GetDouble(0), distinct = reader.GetDouble(1);
            // n_distinct: a count when positive, minus a fraction of the rows when negative.
            var entriesPerNode = distinct > 0 ? rows / distinct : distinct < 0 ? 1 / -distinct : double.NaN;
            pays = rows > 0 && entriesPerNode <= 20;
        }
        _cycleScanPays = (DateTimeOffset.UtcNow, pays);
        return pays;
    }

    /// <summary>Below this many nodes a second query costs more than it saves.</summary>
    private const int LatestPartMin = 10_000;

    private async Task<Dictionary<string, LatestEntry>> LatestPartAsync(string[] ids, DateTimeOffset? asOf)
    {
        var result = new Dictionary<string, LatestEntry>(ids.Length);
        // The same rule as KeyResultInput.FromCheckIns: latest by time, the later commit winning a tie; and the
        // confidence of the latest entry that gave one. Per node, a backward scan of the (node_id, at, seq) index from
        // the instant finds the latest entry; only when that entry gave no confidence does a second scan look further
        // back for one (the condition on v.confidence makes it a one-time filter: no probe at all otherwise).
        await using var cmd = _dataSource.CreateCommand("""
            select n.id, v.value, v.at, coalesce(v.confidence, c.confidence)
            from unnest(@nodes) as n(id)
            cross join lateral (select value, at, confidence from okr_journal
                                where node_id = n.id and at <= @asOf order by at desc, seq desc limit 1) v
            left join lateral (select confidence from okr_journal
                               where v.confidence is null and node_id = n.id and at <= @asOf and confidence is not null
                               order by at desc, seq desc limit 1) c on true
            """);
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("asOf", NpgsqlDbType.TimestampTz) { TypedValue = (asOf ?? DateTimeOffset.MaxValue).UtcDateTime });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("nodes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            result[reader.GetString(0)] = new LatestEntry(reader.GetDouble(1),
                new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero), reader.IsDBNull(3) ? null : reader.GetDouble(3));
        return result;
    }

    private async Task LoadLoopAsync()
    {
        var batch = new List<PendingLoad>(_options.MaxLoadBatch);
        var reader = _loads.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < _options.MaxLoadBatch && reader.TryRead(out var item)) batch.Add(item);
            if (batch.Count == 0) continue;
            try
            {
                var byNode = await LoadBatchAsync(batch.Select(b => b.NodeId).Distinct().ToArray());
                foreach (var p in batch)
                    p.Done.TrySetResult(byNode.TryGetValue(p.NodeId, out var list) ? list : []);
            }
            catch (Exception ex)
            {
                _logger.LoadFailed(ex, batch.Count);
                foreach (var p in batch) p.Done.TrySetException(ex);
            }
        }
    }

    private async Task<Dictionary<string, List<JournalEntry>>> LoadBatchAsync(string[] nodeIds)
    {
        await using var cmd = _dataSource.CreateCommand("""
            select node_id, entry_id, value, confidence, note, author, at, actor, via
            from okr_journal where node_id = any(@nodes) order by seq
            """);
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("nodes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = nodeIds });
        var result = new Dictionary<string, List<JournalEntry>>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var entry = Read(reader);
            if (!result.TryGetValue(entry.NodeId, out var list)) result[entry.NodeId] = list = [];
            list.Add(entry);
        }
        return result;
    }
}
