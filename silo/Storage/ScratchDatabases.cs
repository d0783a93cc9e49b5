using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace OkrGrid.Silo.Storage;

/// <summary>
/// Fresh, empty databases for tests and benchmarks — on the server OKRGRID_POSTGRES names, else on the embedded
/// PostgreSQL of deploy/pg.sh — and their removal afterwards.
/// </summary>
public static class ScratchDatabases
{
    public static async Task<string> CreateAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        name = name[..Math.Min(name.Length, 63)].ToLowerInvariant();
        if (EmbeddedPostgres.FromEnvironment() is { } given)
        {
            await using (var conn = new NpgsqlConnection(given))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"create database \"{name}\"", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            return new NpgsqlConnectionStringBuilder(given) { Database = name }.ConnectionString;
        }
        return await EmbeddedPostgres.EnsureStartedAsync(name, NullLogger.Instance, CancellationToken.None);
    }

    /// <summary>Drops a database made by <see cref="CreateAsync"/>, closing what is still connected to it.</summary>
    public static async Task DropAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database;
        builder.Database = "postgres";
        builder.Pooling = false;
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(builder.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
