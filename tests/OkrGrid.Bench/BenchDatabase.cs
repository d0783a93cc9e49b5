using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Bench;

/// <summary>Fresh databases for a run, on the embedded PostgreSQL of deploy/ (or OKRGRID_POSTGRES's server), dropped after.</summary>
public static class BenchDatabase
{
    public static async Task<string> CreateAsync(string purpose)
    {
        var name = $"bench_{purpose}_{DateTime.UtcNow:yyyyMMddHHmmss}_{Random.Shared.Next(1000):D3}";
        if (EmbeddedPostgres.FromEnvironment() is { } given)
        {
            await using var conn = new NpgsqlConnection(given);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"create database \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
            return new NpgsqlConnectionStringBuilder(given) { Database = name }.ConnectionString;
        }
        return await EmbeddedPostgres.EnsureStartedAsync(name, NullLogger.Instance, CancellationToken.None);
    }

    public static async Task DropAsync(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var name = b.Database;
        b.Database = "postgres";
        b.Pooling = false;
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(b.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The server's version and the settings that decide durability (they must stay on).</summary>
    public static async Task<(string Version, string Fsync, string SynchronousCommit)> DescribeAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        async Task<string> Scalar(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            return (string)(await cmd.ExecuteScalarAsync())!;
        }
        return (await Scalar("show server_version"), await Scalar("show fsync"), await Scalar("show synchronous_commit"));
    }
}
