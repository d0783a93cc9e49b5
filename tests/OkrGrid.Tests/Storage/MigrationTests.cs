using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Storage;

/// <summary>
/// A fresh database for one test class on the embedded server (deploy/pg.sh), or on OKRGRID_POSTGRES's server
/// when that is set. It is dropped again when the class is done.
/// </summary>
public abstract class StorageDatabaseFixture : IAsyncLifetime
{
    private string? _adminConnectionString;

    protected abstract string Prefix { get; }

    public string ConnectionString { get; private set; } = "";

    public string DatabaseName { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        DatabaseName = $"okrt_{Prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        var ct = TestContext.Current.CancellationToken;
        if (EmbeddedPostgres.FromEnvironment() is { } given)
        {
            _adminConnectionString = given;
            await using var connection = new NpgsqlConnection(given);
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"create database \"{DatabaseName}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
            ConnectionString = new NpgsqlConnectionStringBuilder(given) { Database = DatabaseName }.ConnectionString;
        }
        else
        {
            ConnectionString = await EmbeddedPostgres.EnsureStartedAsync(DatabaseName, NullLogger.Instance, ct);
            _adminConnectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres" }.ConnectionString;
        }

        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (_adminConnectionString is not null && DatabaseName.Length > 0)
        {
            await using var connection = new NpgsqlConnection(_adminConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists \"{DatabaseName}\" with (force)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class MigrationDatabase : StorageDatabaseFixture
{
    protected override string Prefix => "migration";
}

public sealed class MigrationTests(MigrationDatabase db) : IClassFixture<MigrationDatabase>
{
    private static readonly string[] StorageQueryKeys =
        ["ClearStorageKey", "DeleteStorageKey", "ReadFromStorageKey", "WriteToStorageKey"];

    /// <summary>Every key Microsoft.Orleans.Clustering.AdoNet refuses to start without (migration 0008).</summary>
    private static readonly string[] ClusteringQueryKeys =
        ["CleanupDefunctSiloEntriesKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey", "InsertMembershipKey", "InsertMembershipVersionKey",
         "MembershipReadAllKey", "MembershipReadRowKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey"];

    [Fact]
    public void EmbeddedMigrationsAreFoundInOrder()
    {
        var migrations = DatabaseMigrator.LoadEmbeddedMigrations();

        Assert.True(migrations.Count >= 2);
        Assert.Equal((1, "orleans_storage"), (migrations[0].Version, migrations[0].Name));
        Assert.Equal((2, "journal"), (migrations[1].Version, migrations[1].Name));
        Assert.Equal(migrations.OrderBy(m => m.Version).Select(m => m.Version), migrations.Select(m => m.Version));
    }

    [Fact]
    public async Task MigratingTwiceAppliesEverythingOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var all = DatabaseMigrator.LoadEmbeddedMigrations();

        var first = await DatabaseMigrator.ApplyPendingAsync(db.DataSource, NullLogger.Instance, ct);
        var recorded = await RecordedAsync(ct);
        var second = await DatabaseMigrator.ApplyPendingAsync(db.DataSource, NullLogger.Instance, ct);
        await DatabaseMigrator.MigrateAsync(db.DataSource, NullLogger.Instance, ct);

        Assert.Equal(all.Select(m => m.Version), first.Select(m => m.Version));
        Assert.Empty(second);
        Assert.Equal(all.Select(m => (m.Version, m.Name)), recorded.Select(r => (r.Version, r.Name)));
        Assert.Equal(recorded, await RecordedAsync(ct)); // applied_at untouched by the later runs

        // The Orleans storage queries and our tables are there.
        var keys = new List<string>();
        await using (var command = db.DataSource.CreateCommand("select querykey from orleansquery order by querykey"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                keys.Add(reader.GetString(0));
            }
        }

        Assert.Equal(StorageQueryKeys, keys.Intersect(StorageQueryKeys).Order(StringComparer.Ordinal));
        Assert.Equal(ClusteringQueryKeys, keys.Intersect(ClusteringQueryKeys).Order(StringComparer.Ordinal));
        foreach (var table in new[] { "orleansquery", "okr_grain_state", "okr_journal", "okr_schema_migrations", "orleansmembershiptable", "orleansmembershipversiontable",
            "okr_webhooks", "okr_webhook_events", "okr_webhook_deliveries", "okr_webhook_attempts", "okr_webhook_node_status", "okr_webhook_cursors", "okr_checkin_cadences" })
        {
            await using var exists = db.DataSource.CreateCommand("select to_regclass(@t) is not null");
            exists.Parameters.AddWithValue("t", table);
            Assert.True((bool)(await exists.ExecuteScalarAsync(ct))!, $"table {table} is missing");
        }

        // Running a migration's SQL again outside the migrator is harmless too (every file is idempotent).
        foreach (var migration in all)
        {
            await using var again = db.DataSource.CreateCommand(migration.Sql);
            await again.ExecuteNonQueryAsync(ct);
        }

        // The journal applies a retried entry once.
        await using (var journal = db.DataSource.CreateCommand("""
            insert into okr_journal (node_id, entry_id, value, at) values ('kr-1', 'e-1', 0.5, now())
            on conflict on constraint okr_journal_node_entry do nothing
            """))
        {
            Assert.Equal(1, await journal.ExecuteNonQueryAsync(ct));
            Assert.Equal(0, await journal.ExecuteNonQueryAsync(ct));
        }

        // An outbox event is written once per key, and a delivery once per (webhook, event).
        await using (var hooks = db.DataSource.CreateCommand("""
            insert into okr_webhooks (id, name, url, secret, scope, events, created_at, created_by, updated_at)
            values ('wh-1', 'n', 'https://example.com', 's', 'company', array['status.changed'], now(), 't', now()) on conflict do nothing;
            with ev as (insert into okr_webhook_events (event_key, kind, at, scopes, data)
                        values ('k-1', 'status.changed', now(), array['company'], '{}') on conflict (event_key) do nothing returning id)
            insert into okr_webhook_deliveries (id, webhook_id, event_id, next_at, created_at)
            select gen_random_uuid(), 'wh-1', ev.id, now(), now() from ev on conflict do nothing
            """))
        {
            Assert.Equal(1, await hooks.ExecuteNonQueryAsync(ct) - 1);
            Assert.Equal(0, await hooks.ExecuteNonQueryAsync(ct));
        }
    }

    [Fact]
    public async Task ConcurrentMigratorsApplyEachMigrationOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = $"okrt_migration_race_{Guid.NewGuid():N}";
        var connectionString = await CreateExtraDatabaseAsync(name, ct);
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(
                _ => Task.Run(() => DatabaseMigrator.ApplyPendingAsync(dataSource, NullLogger.Instance, ct), ct)));

            var all = DatabaseMigrator.LoadEmbeddedMigrations();
            Assert.Equal(all.Select(m => m.Version), runs.SelectMany(r => r).Select(m => m.Version).Order());
        }
        finally
        {
            await DropExtraDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task Migration0010KeepsDataSourcesWithOnlyAHashOfTheirToken()
    {
        var ct = TestContext.Current.CancellationToken;
        // A database of its own: the class's database must stay unmigrated for MigratingTwiceAppliesEverythingOnce.
        var name = $"okrt_migration_sources_{Guid.NewGuid():N}";
        var dataSource = NpgsqlDataSource.Create(await CreateExtraDatabaseAsync(name, ct));
        try
        {
            await SourcesTableAsync(dataSource, ct);
        }
        finally
        {
            await dataSource.DisposeAsync();
            await DropExtraDatabaseAsync(name);
        }
    }

    private static async Task SourcesTableAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance, ct);
        Assert.Contains(DatabaseMigrator.LoadEmbeddedMigrations(), m => (m.Version, m.Name) == (10, "sources"));
        var id = $"src_{Guid.NewGuid():N}"[..24];
        await using (var insert = db.CreateCommand("""
            insert into okr_sources (id, node_id, node_kind, name, kind, token_hash, created_at, created_by, updated_at)
            values (@id, 'q1:kr', 'keyResult', 'CI', 'push', sha256('okri_x'::bytea), now(), 'system', now())
            """))
        {
            insert.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync(ct));
        }
        // A kind, node kind or schedule the engine does not know is refused by the table itself.
        foreach (var (column, value) in new[] { ("kind", "'ftp'"), ("node_kind", "'objective'"), ("interval_seconds", "0") })
        {
            await using var bad = db.CreateCommand($"update okr_sources set {column} = {value} where id = @id");
            bad.Parameters.AddWithValue("id", id);
            await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteNonQueryAsync(ct));
        }
        // Status columns start empty; the keep-alive sweep reads pull sources through their own index.
        await using (var read = db.CreateCommand("select consecutive_failures, failing_since is null, last_value is null from okr_sources where id = @id"))
        {
            read.Parameters.AddWithValue("id", id);
            await using var reader = await read.ExecuteReaderAsync(ct);
            Assert.True(await reader.ReadAsync(ct));
            Assert.Equal((0, true, true), (reader.GetInt32(0), reader.GetBoolean(1), reader.GetBoolean(2)));
        }
        await using (var index = db.CreateCommand("select count(*) from pg_indexes where tablename = 'okr_sources' and indexname in ('okr_sources_node', 'okr_sources_pull')"))
            Assert.Equal(2L, await index.ExecuteScalarAsync(ct));
        await using (var seq = db.CreateCommand("select nextval('okr_audit_sources_seq') > 0"))
            Assert.True((bool)(await seq.ExecuteScalarAsync(ct))!);
    }

    private async Task<List<(int Version, string Name, DateTime AppliedAt)>> RecordedAsync(CancellationToken ct)
    {
        var rows = new List<(int, string, DateTime)>();
        await using var command = db.DataSource.CreateCommand(
            "select version, name, applied_at from okr_schema_migrations order by version");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetInt32(0), reader.GetString(1), reader.GetDateTime(2)));
        }

        return rows;
    }

    private async Task<string> CreateExtraDatabaseAsync(string name, CancellationToken ct)
    {
        await using var command = db.DataSource.CreateCommand($"create database \"{name}\"");
        await command.ExecuteNonQueryAsync(ct);
        return new NpgsqlConnectionStringBuilder(db.ConnectionString) { Database = name, Pooling = false }.ConnectionString;
    }

    private async Task DropExtraDatabaseAsync(string name)
    {
        await using var command = db.DataSource.CreateCommand($"drop database if exists \"{name}\" with (force)");
        await command.ExecuteNonQueryAsync();
    }
}
