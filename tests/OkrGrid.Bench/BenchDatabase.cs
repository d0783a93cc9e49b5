using Npgsql;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Bench;

/// <summary>Fresh databases for a run, on the embedded PostgreSQL of deploy/ (or OKRGRID_POSTGRES's server), dropped after.</summary>
public static class BenchDatabase
{
    public static Task<string> CreateAsync(string purpose) => ScratchDatabases.CreateAsync($"bench_{purpose}");

    public static Task DropAsync(string connectionString) => ScratchDatabases.DropAsync(connectionString);

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
