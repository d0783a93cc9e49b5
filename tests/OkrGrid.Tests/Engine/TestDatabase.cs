using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Engine;

/// <summary>A fresh, empty PostgreSQL database per test class: the embedded server, or OKRGRID_POSTGRES's.</summary>
public static class TestDatabase
{
    public static async Task<string> CreateAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
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

    /// <summary>Drops a database made by <see cref="CreateAsync"/> (closing what is still connected).</summary>
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
