using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

public enum TokenKind { Personal, Service, Wall }

/// <summary>
/// A token as stored (never its secret). <see cref="Scope"/> is the access scope of a personal or service token;
/// <see cref="WallScope"/> the scorecard of a wall link ("company" or "team:{id}").
/// </summary>
public sealed record TokenInfo(
    string Id, TokenKind Kind, string Name, string? UserId, AccessScope Scope, string? WallScope, string? TeamId,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
{
    public bool Active(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>A new token: its record and, this once, the whole secret to hand to the caller.</summary>
public sealed record IssuedToken(TokenInfo Info, string Token);

/// <summary>Why a presented token was not accepted, in words for a 401 ProblemDetails.</summary>
public enum TokenProblem { None, Malformed, Unknown, Revoked, Expired, WrongKind, OwnerDisabled }

public sealed record TokenCheck(TokenProblem Problem, TokenInfo? Token, string Reason)
{
    public bool Ok => Problem == TokenProblem.None;
}

/// <summary>
/// API tokens (personal, service) and wall links, GitHub-style: <c>okrp_</c>/<c>okrs_</c>/<c>okrw_</c>, a 16-character
/// id, '_' and a 256-bit random secret. Only the SHA-256 of the secret is stored (a secret that long needs no slow
/// hash), compared in constant time. Checking a token costs a dictionary look-up: rows are cached for a few seconds
/// per host, and a revocation on this host evicts at once (on other hosts it takes effect within that time).
/// </summary>
public sealed class AccessTokens(NpgsqlDataSource dataSource, TimeProvider time, ILogger<AccessTokens> logger)
{
    /// <summary>How long a host trusts a token row it read (and so how late a revocation made elsewhere arrives).</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private const int IdLength = 16;
    private readonly ConcurrentDictionary<string, Cached> _cache = new();

    private sealed record Cached(TokenInfo? Info, byte[]? Hash, DateTimeOffset ReadAt, DateTimeOffset? UsedNoted);

    public static string Prefix(TokenKind kind) => kind switch
    {
        TokenKind.Personal => "okrp_",
        TokenKind.Service => "okrs_",
        _ => "okrw_",
    };

    /// <summary>Creates a token and writes its audit entry in the same transaction.</summary>
    public async Task<IssuedToken> CreateAsync(TokenKind kind, string name, string? userId, AccessScope scope, string? wallScope, string? teamId,
        DateTimeOffset? expiresAt, Actor createdBy, CancellationToken ct)
    {
        var id = NewId();
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var info = new TokenInfo(id, kind, name, userId, scope, wallScope, teamId, now, createdBy.Id, expiresAt, null, null);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("""
            insert into okr_access_tokens (id, kind, name, user_id, scope, team_id, secret_hash, created_at, created_by, expires_at)
            values (@id, @kind, @name, @user, @scope, @team, @hash, @at, @by, @expires)
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("kind", KindName(kind));
            cmd.Parameters.AddWithValue("name", name);
            cmd.Parameters.AddWithValue("user", (object?)userId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("scope", kind == TokenKind.Wall ? wallScope! : Roles.Name(scope));
            cmd.Parameters.AddWithValue("team", (object?)teamId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("hash", SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
            cmd.Parameters.AddWithValue("at", now.UtcDateTime);
            cmd.Parameters.AddWithValue("by", createdBy.Id);
            cmd.Parameters.AddWithValue("expires", (object?)expiresAt?.UtcDateTime ?? DBNull.Value);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditWriter.WriteAsync(connection, tx, now, createdBy, kind == TokenKind.Wall ? AuditActions.WallLinkCreated : AuditActions.TokenCreated,
            id, null, Describe(info), ct);
        await tx.CommitAsync(ct);
        return new IssuedToken(info, $"{Prefix(kind)}{id}_{secret}");
    }

    /// <summary>Revokes a token (idempotent); returns it as it is now, or null when there is no such token.</summary>
    public async Task<TokenInfo?> RevokeAsync(string id, Actor revokedBy, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var before = await ReadAsync(connection, tx, id, ct);
        if (before is null) return null;
        if (before.RevokedAt is null)
        {
            await using (var cmd = new NpgsqlCommand("update okr_access_tokens set revoked_at = @at, revoked_by = @by where id = @id and revoked_at is null", connection, tx))
            {
                cmd.Parameters.AddWithValue("id", id);
                cmd.Parameters.AddWithValue("at", now.UtcDateTime);
                cmd.Parameters.AddWithValue("by", revokedBy.Id);
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await AuditWriter.WriteAsync(connection, tx, now, revokedBy,
                before.Kind == TokenKind.Wall ? AuditActions.WallLinkRevoked : AuditActions.TokenRevoked, id, Describe(before), Describe(before with { RevokedAt = now }), ct);
        }
        await tx.CommitAsync(ct);
        _cache.TryRemove(id, out _);
        Revoked?.Invoke(id);
        return before.RevokedAt is null ? before with { RevokedAt = now } : before;
    }

    /// <summary>Raised on this host when a token or wall link is revoked here (open wall pages close at once).</summary>
    public event Action<string>? Revoked;

    public async Task<TokenInfo?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await ReadAsync(connection, null, id, ct);
    }

    /// <summary>Tokens of a kind, newest first; of one user when given.</summary>
    public async Task<List<TokenInfo>> ListAsync(TokenKind kind, string? userId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            select {Columns} from okr_access_tokens where kind = @kind and (@user::text is null or user_id = @user) order by created_at desc
            """);
        cmd.Parameters.AddWithValue("kind", KindName(kind));
        cmd.Parameters.Add(new NpgsqlParameter("user", NpgsqlDbType.Text) { Value = (object?)userId ?? DBNull.Value });
        var result = new List<TokenInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result.Add(Read(reader));
        return result;
    }

    /// <summary>
    /// Checks a presented token: its form, that it exists, its secret, that it is of an expected kind, not revoked and
    /// not expired. Cheap on the hot path: a cached row and one SHA-256.
    /// </summary>
    public async ValueTask<TokenCheck> CheckAsync(string presented, IReadOnlyCollection<TokenKind> accepted, CancellationToken ct)
    {
        if (!TryParse(presented, out var kind, out var id, out var secret))
            return new(TokenProblem.Malformed, null, "is not an OkrGrid token (expected okrp_…, okrs_… or okrw_…).");
        if (!accepted.Contains(kind))
            return new(TokenProblem.WrongKind, null, kind == TokenKind.Wall
                ? "is a wall link: it opens /wall (and the hub for its scorecard), not the API."
                : "is an API token: a wall display takes a wall link (okrw_…).");
        var now = time.GetUtcNow();
        if (!_cache.TryGetValue(id, out var cached) || now - cached.ReadAt > CacheFor)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand($"select {Columns}, secret_hash from okr_access_tokens where id = @id", connection);
            cmd.Parameters.AddWithValue("id", id);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            cached = await reader.ReadAsync(ct)
                ? new Cached(Read(reader), reader.GetFieldValue<byte[]>(11), now, cached?.UsedNoted)
                : new Cached(null, null, now, null);
            _cache[id] = cached;
        }
        if (cached.Info is not { } info || info.Kind != kind
            || !CryptographicOperations.FixedTimeEquals(cached.Hash, SHA256.HashData(Encoding.UTF8.GetBytes(secret))))
            return new(TokenProblem.Unknown, null, "is not a token this service issued (or its secret is wrong).");
        if (info.RevokedAt is { } revoked)
            return new(TokenProblem.Revoked, info, $"was revoked on {revoked:yyyy-MM-dd HH:mm} UTC.");
        if (info.ExpiresAt is { } expires && expires <= now)
            return new(TokenProblem.Expired, info, $"expired on {expires:yyyy-MM-dd HH:mm} UTC.");
        NoteUse(id, cached, now);
        return new(TokenProblem.None, info, "");
    }

    /// <summary>"Last used" is written at most once a minute per token and host, off the request's path.</summary>
    private void NoteUse(string id, Cached cached, DateTimeOffset now)
    {
        if (cached.UsedNoted is { } noted && now - noted < TimeSpan.FromMinutes(1)) return;
        _cache[id] = cached with { UsedNoted = now };
        _ = Task.Run(async () =>
        {
            try
            {
                await using var cmd = dataSource.CreateCommand("update okr_access_tokens set last_used_at = @at where id = @id");
                cmd.Parameters.AddWithValue("id", id);
                cmd.Parameters.AddWithValue("at", now.UtcDateTime);
                await cmd.ExecuteNonQueryAsync();
            }
            catch (Exception ex) { logger.LogDebug(ex, "Could not note the use of token {TokenId}.", id); }
        });
    }

    public static bool TryParse(string presented, out TokenKind kind, out string id, out string secret)
    {
        kind = default; id = ""; secret = "";
        if (presented.Length < 5 + IdLength + 2 || presented.Length > 200) return false;
        kind = presented[..5] switch
        {
            "okrp_" => TokenKind.Personal,
            "okrs_" => TokenKind.Service,
            "okrw_" => TokenKind.Wall,
            _ => (TokenKind)(-1),
        };
        if (kind < 0) return false;
        id = presented.Substring(5, IdLength);
        if (presented[5 + IdLength] != '_' || !id.All(char.IsAsciiLetterOrDigit)) return false;
        secret = presented[(5 + IdLength + 1)..];
        return secret.Length >= 20;
    }

    private static string NewId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(IdLength, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    private const string Columns = "id, kind, name, user_id, scope, team_id, created_at, created_by, expires_at, revoked_at, last_used_at";

    private static async Task<TokenInfo?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select {Columns} from okr_access_tokens where id = @id", connection, tx);
        cmd.Parameters.AddWithValue("id", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static TokenInfo Read(NpgsqlDataReader r)
    {
        var kind = Enum.Parse<TokenKind>(r.GetString(1), ignoreCase: true);
        var scope = r.GetString(4);
        DateTimeOffset? At(int i) => r.IsDBNull(i) ? null : new DateTimeOffset(r.GetFieldValue<DateTime>(i), TimeSpan.Zero);
        return new TokenInfo(r.GetString(0), kind, r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
            kind == TokenKind.Wall ? AccessScope.Read : Roles.ParseScope(scope), kind == TokenKind.Wall ? scope : null,
            r.IsDBNull(5) ? null : r.GetString(5), At(6)!.Value, r.GetString(7), At(8), At(9), At(10));
    }

    private static string KindName(TokenKind kind) => kind.ToString().ToLowerInvariant();

    private static object Describe(TokenInfo t) => new
    {
        t.Id, kind = KindName(t.Kind), t.Name, t.UserId, scope = t.Kind == TokenKind.Wall ? t.WallScope : Roles.Name(t.Scope), t.TeamId,
        t.ExpiresAt, t.RevokedAt,
    };
}
