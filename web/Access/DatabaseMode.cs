using Npgsql;

namespace OkrGrid.Web.Access;

/// <summary>
/// What this database is: a demo (seeded with the demo company; anyone may sign in as its people, from a list) or a
/// production database. Decided once, on the first start — demo when the demo is to be seeded then — and stored in
/// <c>okr_settings</c>; configuration cannot change it afterwards. So the demo sign-in exists only on a database that
/// holds nothing but the demo, and can never be switched on for real data.
/// </summary>
public sealed class DatabaseMode(NpgsqlDataSource dataSource, ILogger<DatabaseMode> logger)
{
    public const string Key = "mode";
    public const string Demo = "demo";
    public const string Production = "production";

    private Task<bool>? _isDemo;

    /// <summary>True on a demo database. The first call on a new database decides it (<paramref name="wantDemo"/>).</summary>
    public Task<bool> IsDemoAsync(bool wantDemo, CancellationToken ct = default) =>
        _isDemo is { IsCompletedSuccessfully: true } known ? known : _isDemo = DecideAsync(wantDemo, ct);

    /// <summary>True on a demo database (once decided; false before).</summary>
    public bool IsDemo => _isDemo is { IsCompletedSuccessfully: true, Result: true };

    private async Task<bool> DecideAsync(bool wantDemo, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            insert into okr_settings (key, value) values (@key, @value) on conflict (key) do nothing;
            select value from okr_settings where key = @key;
            """);
        cmd.Parameters.AddWithValue("key", Key);
        cmd.Parameters.AddWithValue("value", wantDemo ? Demo : Production);
        var mode = (string)(await cmd.ExecuteScalarAsync(ct))!;
        if (wantDemo && mode != Demo)
            logger.LogWarning("Demo:Seed is set, but this is a production database: no demo data, no demo sign-in.");
        return mode == Demo;
    }
}
