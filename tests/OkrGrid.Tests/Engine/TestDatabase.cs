using Npgsql;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Engine;

/// <summary>A fresh, empty PostgreSQL database per test class: the embedded server, or OKRGRID_POSTGRES's.</summary>
public static class TestDatabase
{
    public static Task<string> CreateAsync(string prefix) => ScratchDatabases.CreateAsync(prefix);

    public static Task DropAsync(string connectionString) => ScratchDatabases.DropAsync(connectionString);

    /// <summary>Runs SQL on a test database (one or more statements), e.g. to look under the engine or break a row.</summary>
    public static async Task ExecuteAsync(string connectionString, string sql, int timeoutSeconds = 30)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection) { CommandTimeout = timeoutSeconds };
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row of a query on a test database.</summary>
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
