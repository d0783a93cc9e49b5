using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;

namespace OkrGrid.Silo.Storage;

/// <summary>One schema migration: an embedded <c>OkrGrid.Migrations.NNNN_name.sql</c> resource.</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql);

/// <summary>
/// Applies the SQL files of <c>deploy/migrations</c> (embedded in this assembly) to a PostgreSQL database.
/// Applied versions are recorded in <c>okr_schema_migrations</c>; each missing migration runs, in order, in its
/// own transaction together with its record. Every transaction first takes a transaction-scoped advisory lock,
/// so silos (or test processes) starting at the same time apply each migration exactly once.
/// </summary>
public static partial class DatabaseMigrator
{
    /// <summary>Prefix of the embedded migration resources (see OkrGrid.Silo.csproj).</summary>
    public const string ResourcePrefix = "OkrGrid.Migrations.";

    /// <summary>The advisory lock key serialising migrations ("OKRGMIGR").</summary>
    public const long AdvisoryLockKey = 0x4F4B_5247_4D49_4752;

    private const int MigrationCommandTimeoutSeconds = 600;

    [GeneratedRegex(@"^(?<version>\d{4})_(?<name>[A-Za-z0-9_]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex MigrationFileName();

    /// <summary>Brings the database up to date; a no-op when every migration is already applied.</summary>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken ct)
    {
        await ApplyPendingAsync(dataSource, logger, ct).ConfigureAwait(false);
    }

    /// <summary>Brings the database up to date and returns the migrations this call applied (in order).</summary>
    public static async Task<IReadOnlyList<SchemaMigration>> ApplyPendingAsync(
        NpgsqlDataSource dataSource, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);

        var migrations = LoadEmbeddedMigrations();
        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);

        // The bookkeeping table is created under the lock too: concurrent CREATE TABLE IF NOT EXISTS can fail.
        HashSet<int> applied;
        await using (var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            await LockAsync(connection, tx, ct).ConfigureAwait(false);
            await ExecuteAsync(connection, tx, """
                create table if not exists okr_schema_migrations
                (
                    version    int primary key,
                    name       text        not null,
                    applied_at timestamptz not null default now()
                )
                """, ct).ConfigureAwait(false);
            applied = await ReadAppliedAsync(connection, tx, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        var known = migrations.Select(m => m.Version).ToHashSet();
        foreach (var unknown in applied.Where(v => !known.Contains(v)).Order())
        {
            LogUnknownVersion(logger, unknown);
        }

        var done = new List<SchemaMigration>();
        foreach (var migration in migrations)
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }

            var stopwatch = Stopwatch.StartNew();
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await LockAsync(connection, tx, ct).ConfigureAwait(false);
            // Another process may have applied it between our read and taking the lock.
            if ((await ReadAppliedAsync(connection, tx, ct).ConfigureAwait(false)).Contains(migration.Version))
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                continue;
            }

            try
            {
                await ExecuteAsync(connection, tx, migration.Sql, ct).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                throw new InvalidOperationException(
                    $"Migration {migration.Version:D4}_{migration.Name} failed: {ex.MessageText} (SQLSTATE {ex.SqlState}"
                    + (ex.Position > 0 ? $", at character {ex.Position}" : "") + ")", ex);
            }

            await using (var record = new NpgsqlCommand(
                "insert into okr_schema_migrations (version, name, applied_at) values (@version, @name, now())", connection, tx))
            {
                record.Parameters.AddWithValue("version", migration.Version);
                record.Parameters.AddWithValue("name", migration.Name);
                await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
            done.Add(migration);
            LogApplied(logger, migration.Version, migration.Name, stopwatch.ElapsedMilliseconds);
        }

        var current = migrations.Count == 0 ? 0 : migrations[^1].Version;
        if (done.Count == 0)
        {
            LogUpToDate(logger, current);
        }
        else
        {
            LogMigrated(logger, done.Count, current);
        }

        return done;
    }

    /// <summary>The embedded migrations, ordered by version.</summary>
    public static IReadOnlyList<SchemaMigration> LoadEmbeddedMigrations()
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var file = resource[ResourcePrefix.Length..];
            var match = MigrationFileName().Match(file);
            if (!match.Success)
            {
                throw new InvalidOperationException(
                    $"Embedded migration '{resource}' is not named {ResourcePrefix}NNNN_name.sql.");
            }

            migrations.Add(new SchemaMigration(
                int.Parse(match.Groups["version"].Value, NumberStyles.None, CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                ReadResource(assembly, resource)));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
            {
                throw new InvalidOperationException(
                    $"Two embedded migrations share version {migrations[i].Version:D4}: " +
                    $"{migrations[i - 1].Name} and {migrations[i].Name}.");
            }
        }

        return migrations;
    }

    private static string ReadResource(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource '{resource}' cannot be opened.");
        using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select pg_advisory_xact_lock(@key)", connection, tx);
        command.Parameters.AddWithValue("key", AdvisoryLockKey);
        command.CommandTimeout = MigrationCommandTimeoutSeconds;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<HashSet<int>> ReadAppliedAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        var versions = new HashSet<int>();
        await using var command = new NpgsqlCommand("select version from okr_schema_migrations", connection, tx);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        command.CommandTimeout = MigrationCommandTimeoutSeconds;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied database migration {Version:D4}_{Name} in {ElapsedMs} ms")]
    private static partial void LogApplied(ILogger logger, int version, string name, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema migrated: applied {Count} migration(s), now at version {Version:D4}")]
    private static partial void LogMigrated(ILogger logger, int count, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is up to date at version {Version:D4}")]
    private static partial void LogUpToDate(ILogger logger, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database has migration {Version:D4}, which this build does not know: it was migrated by a newer build")]
    private static partial void LogUnknownVersion(ILogger logger, int version);
}
