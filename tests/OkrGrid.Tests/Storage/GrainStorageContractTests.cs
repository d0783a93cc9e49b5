using System.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Storage;

public sealed class GrainStorageDatabase : StorageDatabaseFixture
{
    protected override string Prefix => "grainstorage";

    public IReadOnlyDictionary<string, string> Queries { get; private set; } = new Dictionary<string, string>();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var ct = TestContext.Current.CancellationToken;
        await DatabaseMigrator.MigrateAsync(DataSource, NullLogger.Instance, ct);

        // Exactly what the provider runs at start-up (unquoted identifiers).
        var queries = new Dictionary<string, string>();
        await using var command = DataSource.CreateCommand(
            "SELECT QueryKey, QueryText FROM OrleansQuery WHERE QueryKey = 'WriteToStorageKey' OR QueryKey = 'ReadFromStorageKey' " +
            "OR QueryKey = 'ClearStorageKey' OR QueryKey = 'DeleteStorageKey'");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            queries.Add(reader.GetString(reader.GetOrdinal("QueryKey")), reader.GetString(reader.GetOrdinal("QueryText")));
        }

        Queries = queries;
    }
}

/// <summary>
/// The four grain-storage query texts of deploy/migrations/0001, run the way Microsoft.Orleans.Persistence.AdoNet
/// runs them: the same parameter names and DbTypes, and the same way of reading the results.
/// </summary>
public sealed class GrainStorageContractTests(GrainStorageDatabase db) : IClassFixture<GrainStorageDatabase>
{
    private const string Service = "default";

    /// <summary>A grain key as the provider binds it. Each test uses its own state name so tests do not share rows.</summary>
    private sealed record Key(long N0, long N1, string? Extension, string Type, string ServiceId = Service)
    {
        public int IdHash => HashCode.Combine(N0, N1, Extension);

        public int TypeHash => Type.Length;
    }

    private static Key IntegerKey(string type, long n0, long n1 = 0) => new(n0, n1, null, type);

    private static Key StringKey(string type, string key) => new(0, 0, key, type);

    private static string NewType(string name) => $"{name}-{Guid.NewGuid():N}";

    [Fact]
    public void AllFourQueriesAreRegistered()
    {
        Assert.Equal(
            new[] { "ClearStorageKey", "DeleteStorageKey", "ReadFromStorageKey", "WriteToStorageKey" },
            db.Queries.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task VersionsFollowTheEtagContract()
    {
        var key = IntegerKey(NewType("versions"), 42);

        Assert.Null(await ReadAsync(key));
        Assert.Equal(1, await WriteAsync(key, null, [1]));
        Assert.Null(await WriteAsync(key, null, [9]));        // a second "first write": another activation won
        Assert.Equal(2, await WriteAsync(key, 1, [2]));
        Assert.Null(await WriteAsync(key, 1, [9]));           // stale
        Assert.Null(await WriteAsync(key, 7, [9]));           // from the future
        AssertState([2], 2, await ReadAsync(key));

        Assert.Null(await ClearAsync(key, 1));                // stale clear
        Assert.Equal("3", await ClearAsync(key, 2));
        AssertState(null, 3, await ReadAsync(key));           // the row stays, without payload
        Assert.Null(await WriteAsync(key, null, [9]));        // still not a first write
        Assert.Equal(4, await WriteAsync(key, 3, [4]));
        AssertState([4], 4, await ReadAsync(key));

        Assert.Null(await DeleteAsync(key, 3));               // stale delete
        var deleted = await DeleteAsync(key, 4);
        Assert.NotNull(deleted);
        Assert.NotEqual("4", deleted);                        // Orleans only needs it to differ from the ETag
        Assert.Null(await ReadAsync(key));
        Assert.Null(await DeleteAsync(key, 4));
        Assert.Equal(1, await WriteAsync(key, null, [1]));    // after a delete, the next write is a first write
        Assert.Equal(1, await CountRowsAsync(key.Type));
    }

    [Fact]
    public async Task KeysDoNotCollide()
    {
        var type = NewType("keys");
        Key[] keys =
        [
            IntegerKey(type, 0),               // integer key 0: N0 = N1 = 0, no extension
            StringKey(type, "node-1"),          // string key: N0 = N1 = 0, in the extension
            StringKey(type, "node-2"),
            StringKey(type, ""),                // an empty string is not "no extension"
            IntegerKey(type, 0, 1),
            IntegerKey(type, 1),
            new(0, 0, "node-1", type, "other-service"),
            new(0, 0, "node-1", type + "-other"),
        ];

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(1, await WriteAsync(keys[i], null, [(byte)i]));
        }

        for (var i = 0; i < keys.Length; i++)
        {
            AssertState([(byte)i], 1, await ReadAsync(keys[i]));
        }

        Assert.Equal(2, await WriteAsync(keys[1], 1, [100]));
        Assert.Equal("3", await ClearAsync(keys[1], 2));
        Assert.NotNull(await DeleteAsync(keys[2], 1));
        AssertState(null, 3, await ReadAsync(keys[1]));
        Assert.Null(await ReadAsync(keys[2]));
        for (var i = 0; i < keys.Length; i++)
        {
            if (i is not (1 or 2))
            {
                AssertState([(byte)i], 1, await ReadAsync(keys[i]));
            }
        }
    }

    [Fact]
    public async Task ConcurrentFirstWritesLetExactlyOneWin()
    {
        var key = StringKey(NewType("race"), "contended");
        var ct = TestContext.Current.CancellationToken;

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(
            i => Task.Run(() => WriteAsync(key, null, [(byte)i]), ct)));

        Assert.Single(results, r => r == 1);
        Assert.Equal(15, results.Count(r => r is null));
        var winner = (byte)Array.FindIndex(results, r => r == 1);
        AssertState([winner], 1, await ReadAsync(key));
    }

    [Fact]
    public async Task LargePayloadsRoundTrip()
    {
        var key = StringKey(NewType("large"), "big");
        var payload = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(payload);

        Assert.Equal(1, await WriteAsync(key, null, payload));
        AssertState(payload, 1, await ReadAsync(key));
    }

    private static void AssertState(byte[]? payload, int version, (byte[]? Payload, int Version)? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(version, actual.Value.Version);
        if (payload is null)
        {
            Assert.Null(actual.Value.Payload);
        }
        else
        {
            Assert.NotNull(actual.Value.Payload);
            Assert.True(payload.AsSpan().SequenceEqual(actual.Value.Payload), "payload differs");
        }
    }

    // ---- the provider's calls (AdoNetGrainStorage: ReadStateAsync, WriteStateAsync, ClearStateAsync)

    private async Task<(byte[]? Payload, int Version)?> ReadAsync(Key key)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var command = Command("ReadFromStorageKey", key);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(byte[]?, int)>();
        while (await reader.ReadAsync(ct))
        {
            var payloadOrdinal = reader.GetOrdinal("PayloadBinary");
            var versionOrdinal = reader.GetOrdinal("Version");
            var payload = reader.IsDBNull(payloadOrdinal) ? null : (byte[])reader.GetValue(payloadOrdinal);
            rows.Add((payload, (int)reader.GetValue(versionOrdinal)));
        }

        return rows.Count switch
        {
            0 => null,
            1 => rows[0],
            _ => throw new InvalidOperationException($"{rows.Count} rows for one grain"),
        };
    }

    private async Task<int?> WriteAsync(Key key, int? version, byte[] payload)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var command = Command("WriteToStorageKey", key);
        command.Parameters.Add(Parameter("GrainStateVersion", DbType.Int32, version));
        command.Parameters.Add(Parameter("PayloadBinary", DbType.Binary, payload));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var results = new List<int?>();
        while (await reader.ReadAsync(ct))
        {
            var ordinal = reader.GetOrdinal("NewGrainStateVersion");
            results.Add(reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal));
        }

        Assert.True(results.Count <= 1, $"{results.Count} rows from a write");
        return results.SingleOrDefault();
    }

    private Task<string?> ClearAsync(Key key, int? version) => FirstValueAsync("ClearStorageKey", key, version);

    private Task<string?> DeleteAsync(Key key, int? version) => FirstValueAsync("DeleteStorageKey", key, version);

    private async Task<string?> FirstValueAsync(string queryKey, Key key, int? version)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var command = Command(queryKey, key);
        command.Parameters.Add(Parameter("GrainStateVersion", DbType.Int32, version));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var results = new List<string?>();
        while (await reader.ReadAsync(ct))
        {
            results.Add(reader.GetValue(0).ToString());
        }

        Assert.True(results.Count <= 1, $"{results.Count} rows from {queryKey}");
        return results.SingleOrDefault();
    }

    private async Task<long> CountRowsAsync(string type)
    {
        await using var command = db.DataSource.CreateCommand("select count(*) from okr_grain_state where grain_type_string = @t");
        command.Parameters.AddWithValue("t", type);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private NpgsqlCommand Command(string queryKey, Key key)
    {
        var command = db.DataSource.CreateCommand(db.Queries[queryKey]);
        command.Parameters.Add(Parameter("GrainIdHash", DbType.Int32, key.IdHash));
        command.Parameters.Add(Parameter("GrainIdN0", DbType.Int64, key.N0));
        command.Parameters.Add(Parameter("GrainIdN1", DbType.Int64, key.N1));
        command.Parameters.Add(Parameter("GrainTypeHash", DbType.Int32, key.TypeHash));
        command.Parameters.Add(Parameter("GrainTypeString", DbType.String, key.Type));
        command.Parameters.Add(Parameter("GrainIdExtensionString", DbType.String, key.Extension));
        command.Parameters.Add(Parameter("ServiceId", DbType.String, key.ServiceId));
        return command;
    }

    /// <summary>Like Orleans' DbExtensions.CreateParameter: the DbType is set even when the value is NULL.</summary>
    private static NpgsqlParameter Parameter(string name, DbType type, object? value) =>
        new() { ParameterName = name, DbType = type, Value = value ?? DBNull.Value };
}
