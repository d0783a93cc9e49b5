using Npgsql;
using NpgsqlTypes;

namespace OkrGrid.Workload.Peer;

/// <summary>A node's score as the SQL peer stores it.</summary>
public readonly record struct PeerScore(double Progress, double? Confidence, bool NoData);

/// <summary>
/// The plain-SQL peer of the benchmark: the same job done the way a typical CRUD OKR tool does it. The graph lives
/// in ordinary tables (<c>peer_node</c>, <c>peer_edge</c>, <c>peer_check_in</c>, <c>peer_kpi</c>,
/// <c>peer_measurement</c>) and a check-in is one call of the plpgsql function <c>peer_check_in</c>: one round trip,
/// one transaction that inserts the check-in, sets the key result's current value and progress, then recomputes
/// every ancestor objective bottom-up with the rules of <see cref="Rules"/>.
/// </summary>
/// <remarks>
/// Concurrency: every transaction takes its row locks in one global order — the KPI (for a measurement), the key
/// results by id, then the ancestor objectives level by level, deepest first, by id within a level, each level just
/// before it is recomputed — so concurrent check-ins sharing ancestors queue on those rows (in the end on the company
/// objectives, locked last) and cannot deadlock. A transaction that changes a node recomputes every ancestor after
/// locking it, in a statement that sees all that was committed before it got the lock, so whoever recomputes an
/// objective last saw its final children. A deadlock or serialization failure would still be retried. Depths are
/// computed once, at load: the peer's structure is fixed. Timestamps are stored with PostgreSQL's microsecond
/// precision.
/// </remarks>
public sealed class SqlPeer : IAsyncDisposable
{
    private const int PoolSize = 64; // at least: 32+ concurrent callers each hold a connection for a call
    private const int MaxAttempts = 10;

    private readonly NpgsqlDataSource _dataSource;

    private SqlPeer(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>
    /// Creates the peer's tables and functions in the database (dropping what an earlier peer left there), loads
    /// <paramref name="org"/> with binary COPY and computes every node's initial progress in SQL.
    /// </summary>
    public static async Task<SqlPeer> CreateAsync(string connectionString, SyntheticOrg org, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(org);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var csb = builder.ConnectionStringBuilder;
        csb.MaxPoolSize = Math.Max(csb.MaxPoolSize, PoolSize);
        if (csb.MaxAutoPrepare == 0) csb.MaxAutoPrepare = 16;
        var dataSource = builder.Build();
        try
        {
            await using (var conn = await dataSource.OpenConnectionAsync(ct))
            {
                await ExecuteAsync(conn, Schema, ct);
                await using (var tx = await conn.BeginTransactionAsync(ct))
                {
                    await LoadAsync(conn, org, ct);
                    await ExecuteAsync(conn, Constraints, ct);
                    await tx.CommitAsync(ct);
                }
                await ExecuteAsync(conn, "analyze peer_node; analyze peer_edge; analyze peer_kpi;", ct);
                await ExecuteAsync(conn, "select peer_recompute_all();", ct);
                await ExecuteAsync(conn, "analyze peer_node;", ct);
            }
            return new SqlPeer(dataSource);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Records a check-in of a (not KPI-linked) key result and, in the same transaction, updates its value if the
    /// check-in is the latest by <paramref name="at"/> (ties go to the later arrival) and recomputes its ancestors.
    /// </summary>
    public Task CheckInAsync(string keyResultId, double value, double? confidence, DateTimeOffset at, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keyResultId);
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "must be a finite number.");
        if (confidence is { } c && !(c >= 0 && c <= 1)) throw new ArgumentOutOfRangeException(nameof(confidence), c, "must be between 0 and 1.");
        return CallAsync("select peer_check_in($1, $2, $3, $4)", cmd =>
        {
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keyResultId, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter<double> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter { Value = confidence is { } conf ? conf : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        }, ct);
    }

    /// <summary>
    /// Records a KPI measurement and, if it is the latest by <paramref name="at"/>, sets it as the current value of
    /// every key result linked to the KPI and recomputes them and their ancestors, in one transaction.
    /// </summary>
    public Task MeasureAsync(string kpiId, double value, DateTimeOffset at, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kpiId);
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "must be a finite number.");
        return CallAsync("select peer_measure($1, $2, $3)", cmd =>
        {
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kpiId, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter<double> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        }, ct);
    }

    /// <summary>Every node's (objectives' and key results') clamped progress.</summary>
    public async Task<Dictionary<string, double>> ReadProgressAsync(CancellationToken ct = default)
    {
        var scores = await ReadScoresAsync(ct);
        return scores.ToDictionary(kv => kv.Key, kv => kv.Value.Progress);
    }

    /// <summary>Every node's clamped progress, confidence and whether it has no data.</summary>
    public async Task<Dictionary<string, PeerScore>> ReadScoresAsync(CancellationToken ct = default)
    {
        await using var cmd = _dataSource.CreateCommand("select id, progress, confidence, no_data from peer_node");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var result = new Dictionary<string, PeerScore>();
        while (await reader.ReadAsync(ct))
            result[reader.GetString(0)] = new PeerScore(reader.GetDouble(1), reader.IsDBNull(2) ? null : reader.GetDouble(2), reader.GetBoolean(3));
        return result;
    }

    /// <summary>How many check-ins the peer has recorded (back-dated ones included).</summary>
    public async Task<long> CountCheckInsAsync(CancellationToken ct = default)
    {
        await using var cmd = _dataSource.CreateCommand("select count(*) from peer_check_in");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task CallAsync(string sql, Action<NpgsqlCommand> bind, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await _dataSource.OpenConnectionAsync(ct);
                await using var cmd = new NpgsqlCommand(sql, conn);
                bind(cmd);
                await cmd.ExecuteNonQueryAsync(ct);
                return;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                              && attempt < MaxAttempts)
            {
                // The function ran in one transaction, which was rolled back: run it again.
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), ct);
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 600 };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task LoadAsync(NpgsqlConnection conn, SyntheticOrg org, CancellationToken ct)
    {
        await using (var kpis = await conn.BeginBinaryImportAsync("copy peer_kpi (id) from stdin (format binary)", ct))
        {
            foreach (var k in org.Kpis)
            {
                await kpis.StartRowAsync(ct);
                await kpis.WriteAsync(k.Id, NpgsqlDbType.Text, ct);
            }
            await kpis.CompleteAsync(ct);
        }

        await using (var nodes = await conn.BeginBinaryImportAsync(
            "copy peer_node (id, kind, roll_up, kr_kind, start_value, target_value, current_value, kpi_id) from stdin (format binary)", ct))
        {
            foreach (var o in org.Objectives)
            {
                await nodes.StartRowAsync(ct);
                await nodes.WriteAsync(o.Id, NpgsqlDbType.Text, ct);
                await nodes.WriteAsync((short)NodeKind.Objective, NpgsqlDbType.Smallint, ct);
                await nodes.WriteAsync((short)o.RollUp, NpgsqlDbType.Smallint, ct);
                await nodes.WriteNullAsync(ct);
                await nodes.WriteNullAsync(ct);
                await nodes.WriteNullAsync(ct);
                await nodes.WriteNullAsync(ct);
                await nodes.WriteNullAsync(ct);
            }
            foreach (var kr in org.KeyResults)
            {
                await nodes.StartRowAsync(ct);
                await nodes.WriteAsync(kr.Id, NpgsqlDbType.Text, ct);
                await nodes.WriteAsync((short)NodeKind.KeyResult, NpgsqlDbType.Smallint, ct);
                await nodes.WriteNullAsync(ct);
                await nodes.WriteAsync((short)kr.Kind, NpgsqlDbType.Smallint, ct);
                await nodes.WriteAsync(kr.Start, NpgsqlDbType.Double, ct);
                await nodes.WriteAsync(kr.Target, NpgsqlDbType.Double, ct);
                // Before any check-in a key result stands at its start value (KeyResultInput.Initial).
                await nodes.WriteAsync(kr.Start, NpgsqlDbType.Double, ct);
                if (kr.KpiId is { } kpi) await nodes.WriteAsync(kpi, NpgsqlDbType.Text, ct);
                else await nodes.WriteNullAsync(ct);
            }
            await nodes.CompleteAsync(ct);
        }

        await using (var edges = await conn.BeginBinaryImportAsync("copy peer_edge (parent_id, child_id, weight) from stdin (format binary)", ct))
        {
            foreach (var e in org.Edges)
            {
                await edges.StartRowAsync(ct);
                await edges.WriteAsync(e.ParentId, NpgsqlDbType.Text, ct);
                await edges.WriteAsync(e.ChildId, NpgsqlDbType.Text, ct);
                await edges.WriteAsync(e.Weight, NpgsqlDbType.Double, ct);
            }
            await edges.CompleteAsync(ct);
        }
    }

    // Enum values as stored: kind = NodeKind (0 objective, 1 key result); roll_up = RollUpMode (0 key results and
    // objectives, 1 key results only, 2 objectives only); kr_kind = KeyResultKind (0 increase, 1 decrease,
    // 2 stay at or above, 3 stay at or below, 4 milestone, 5 KPI-linked).
    private const string Schema = """
        drop function if exists peer_check_in(text, float8, float8, timestamptz);
        drop function if exists peer_measure(text, float8, timestamptz);
        drop function if exists peer_propagate(text[]);
        drop function if exists peer_recompute_all();
        drop function if exists peer_rollup(text[]);
        drop function if exists peer_kr_progress(smallint, float8, float8, float8);
        drop table if exists peer_check_in, peer_measurement, peer_edge, peer_node, peer_kpi cascade;

        -- Tables are created bare; keys, indexes and foreign keys are added after the bulk load.
        create table peer_kpi (
            id          text not null,
            latest      float8,
            latest_at   timestamptz,
            has_value   boolean not null default false
        );

        create table peer_node (
            id            text not null,
            kind          smallint not null,          -- 0 objective, 1 key result
            roll_up       smallint,                   -- objectives
            kr_kind       smallint,                   -- key results
            start_value   float8,
            target_value  float8,
            current_value float8,                     -- the latest check-in's (or measurement's) value; start before any
            current_at    timestamptz,
            has_value     boolean not null default false,
            kpi_id        text,                       -- KPI-linked key results
            depth         int,                        -- the longest distance from a company objective (0)
            confidence    float8,                     -- key results: of the latest check-in that gave one; objectives: rolled up
            confidence_at timestamptz,
            progress      double precision not null default 0,  -- clamped to [0, 1]
            no_data       boolean not null default true
        );

        create table peer_edge (
            parent_id text not null,
            child_id  text not null,
            weight    float8 not null
        );

        create table peer_check_in (
            id          bigserial primary key,
            kr_id       text not null,
            value       float8 not null,
            confidence  float8,
            at          timestamptz not null,
            recorded_at timestamptz not null default now()
        );

        create table peer_measurement (
            id          bigserial primary key,
            kpi_id      text not null,
            value       float8 not null,
            at          timestamptz not null,
            recorded_at timestamptz not null default now()
        );

        -- Clamped progress of a key result, as Rules.RawProgress then Rules.Clamp.
        create function peer_kr_progress(k smallint, s float8, t float8, c float8) returns float8
        language sql immutable parallel safe as $$
            select greatest(0::float8, least(1::float8, case
                when k in (0, 1, 5) then case when t = s then 0 else (c - s) / (t - s) end
                when k = 2 then case when c >= t then 1 else 0 end
                when k = 3 then case when c <= t then 1 else 0 end
                when k = 4 then case when c >= 1 then 1 else 0 end
            end))
        $$;

        -- Rules.RollUp for the given objectives: the weighted mean of the contributing children's clamped progress
        -- (weight > 0, kind allowed by the roll-up mode); none gives 0 and no data. Confidence is the weighted mean
        -- over the contributing children that have one.
        create function peer_rollup(ids text[]) returns table (id text, progress float8, confidence float8, no_data boolean)
        language sql stable as $$
            select o.id,
                   coalesce(sum(e.weight * greatest(0::float8, least(1::float8, c.progress))) / nullif(sum(e.weight), 0), 0),
                   sum(e.weight * c.confidence) / nullif(sum(e.weight) filter (where c.confidence is not null), 0),
                   count(c.id) = 0
            from peer_node o
            left join (peer_edge e join peer_node c on c.id = e.child_id)
                   on e.parent_id = o.id and e.weight > 0
                  and (o.roll_up = 0 or (o.roll_up = 1 and c.kind = 1) or (o.roll_up = 2 and c.kind = 0))
            where o.id = any(ids) and o.kind = 0
            group by o.id
        $$;

        -- Recomputes every objective above the given (already updated) nodes, bottom-up, each once and after all its
        -- affected children: level by level in decreasing depth (a child is always deeper than its parents, so
        -- objectives of one depth are never each other's children and each level is one statement). Each level's rows
        -- are locked, by id, just before it is recomputed; (depth descending, id) is one global order, the same for
        -- every transaction, so there is no deadlock, and the company objectives are locked last, for the least time.
        create function peer_propagate(sources text[]) returns void
        language plpgsql as $$
        declare
            anc    text[];
            depths int[];
            ids    text[];
            level  int;
        begin
            with recursive up(id) as (
                select e.parent_id from peer_edge e where e.child_id = any(sources)
                union
                select e.parent_id from up join peer_edge e on e.child_id = up.id
            )
            select array_agg(n.id order by n.depth desc, n.id), array_agg(n.depth order by n.depth desc, n.id)
              into anc, depths
              from peer_node n where n.id in (select up.id from up);
            if anc is null then return; end if;

            foreach level in array array(select distinct x from unnest(depths) x order by x desc) loop
                ids := array(select u.a from unnest(anc, depths) u(a, d) where u.d = level);
                perform 1 from peer_node n where n.id = any(ids) order by n.id for no key update;
                update peer_node p
                   set progress = r.progress, confidence = r.confidence, no_data = r.no_data
                  from peer_rollup(ids) r
                 where p.id = r.id;
            end loop;
        end
        $$;

        -- A check-in: one transaction (the caller's statement).
        create function peer_check_in(kr text, value float8, confidence float8, at timestamptz) returns void
        language plpgsql as $$
        #variable_conflict use_variable
        declare
            n             peer_node%rowtype;
            takes_value   boolean;
            takes_conf    boolean;
        begin
            select * into n from peer_node where id = kr and kind = 1 for no key update;
            if not found then
                raise exception 'key result % not found', kr using errcode = 'P0002';
            end if;
            if n.kr_kind = 5 then
                raise exception 'key result % takes its value from KPI %', kr, n.kpi_id using errcode = '22023';
            end if;

            insert into peer_check_in (kr_id, value, confidence, at) values (kr, value, confidence, at);

            -- Latest by time; a later arrival wins a tie.
            takes_value := n.current_at is null or at >= n.current_at;
            takes_conf := confidence is not null and (n.confidence_at is null or at >= n.confidence_at);
            if not takes_value and not takes_conf then return; end if;

            update peer_node p
               set current_value = case when takes_value then value else p.current_value end,
                   current_at    = case when takes_value then at else p.current_at end,
                   has_value     = p.has_value or takes_value,
                   confidence    = case when takes_conf then confidence else p.confidence end,
                   confidence_at = case when takes_conf then at else p.confidence_at end,
                   progress      = peer_kr_progress(p.kr_kind, p.start_value, p.target_value,
                                                    case when takes_value then value else p.current_value end),
                   no_data       = not (p.has_value or takes_value)
             where p.id = kr;

            perform peer_propagate(array[kr]);
        end
        $$;

        -- A KPI measurement: the KPI's latest value becomes the current value of every key result linked to it.
        create function peer_measure(kpi text, value float8, at timestamptz) returns void
        language plpgsql as $$
        #variable_conflict use_variable
        declare
            k    peer_kpi%rowtype;
            krs  text[];
        begin
            select * into k from peer_kpi where id = kpi for no key update;
            if not found then
                raise exception 'KPI % not found', kpi using errcode = 'P0002';
            end if;

            insert into peer_measurement (kpi_id, value, at) values (kpi, value, at);
            if k.latest_at is not null and at < k.latest_at then return; end if;
            update peer_kpi set latest = value, latest_at = at, has_value = true where id = kpi;

            select array_agg(n.id order by n.id) into krs from peer_node n where n.kpi_id = kpi and n.kind = 1 and n.kr_kind = 5;
            if krs is null then return; end if;
            perform 1 from peer_node n where n.id = any(krs) order by n.id for no key update;

            update peer_node p
               set current_value = value, current_at = at, has_value = true, no_data = false,
                   progress = peer_kr_progress(p.kr_kind, p.start_value, p.target_value, value)
             where p.id = any(krs);

            perform peer_propagate(krs);
        end
        $$;

        -- The depth of every node (its longest distance from a company objective), then every score, bottom-up
        -- from the key results (the initial load).
        create function peer_recompute_all() returns void
        language plpgsql as $$
        declare
            ids   text[];
            level int;
        begin
            with recursive down(id, d) as (
                select n.id, 0 from peer_node n where not exists (select 1 from peer_edge e where e.child_id = n.id)
                union
                select e.child_id, down.d + 1 from down join peer_edge e on e.parent_id = down.id where down.d < 10000
            )
            update peer_node p set depth = x.d from (select down.id, max(down.d) d from down group by down.id) x where p.id = x.id;
            if exists (select 1 from peer_node where depth is null or depth >= 10000) then
                raise exception 'the alignment graph has a cycle';
            end if;

            update peer_node set progress = peer_kr_progress(kr_kind, start_value, target_value, current_value),
                                 no_data = not has_value
             where kind = 1;
            for level in select distinct depth from peer_node where kind = 0 order by depth desc loop
                ids := array(select id from peer_node where kind = 0 and depth = level);
                update peer_node p
                   set progress = r.progress, confidence = r.confidence, no_data = r.no_data
                  from peer_rollup(ids) r
                 where p.id = r.id;
            end loop;
        end
        $$;
        """;

    private const string Constraints = """
        alter table peer_kpi add primary key (id);
        alter table peer_node add primary key (id);
        alter table peer_node add foreign key (kpi_id) references peer_kpi (id);
        create index peer_node_kpi on peer_node (kpi_id) where kpi_id is not null;
        alter table peer_edge add primary key (parent_id, child_id);
        create index peer_edge_child on peer_edge (child_id);
        alter table peer_edge add foreign key (parent_id) references peer_node (id);
        alter table peer_edge add foreign key (child_id) references peer_node (id);
        alter table peer_check_in add foreign key (kr_id) references peer_node (id);
        create index peer_check_in_kr on peer_check_in (kr_id, at);
        alter table peer_measurement add foreign key (kpi_id) references peer_kpi (id);
        create index peer_measurement_kpi on peer_measurement (kpi_id, at);
        """;
}
