using System.Data.Common;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// ASP.NET Core Identity's user store on our own PostgreSQL tables (<c>okr_users</c>, <c>okr_user_logins</c>, see
/// deploy/migrations/0004_access.sql): Identity hashes passwords, locks out after failures and checks security
/// stamps; this class only reads and writes rows. Plain SQL like the rest of the schema — no second ORM.
/// </summary>
public sealed class UserStore(NpgsqlDataSource dataSource) :
    IUserPasswordStore<OkrUser>, IUserSecurityStampStore<OkrUser>, IUserLockoutStore<OkrUser>, IUserLoginStore<OkrUser>,
    IUserEmailStore<OkrUser>
{
    private const string Columns = """
        id, user_name, normalized_user_name, email, normalized_email, display_name, password_hash, security_stamp,
        concurrency_stamp, role, person_id, disabled, lockout_end, access_failed_count, created_at
        """;

    public void Dispose() { }

    // ---- Rows ------------------------------------------------------------------------------------------------

    public async Task<IdentityResult> CreateAsync(OkrUser user, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"""
            insert into okr_users ({Columns}) values
            (@id, @user_name, @normalized_user_name, @email, @normalized_email, @display_name, @password_hash, @security_stamp,
             @concurrency_stamp, @role, @person_id, @disabled, @lockout_end, @access_failed_count, now())
            on conflict do nothing
            """);
        Bind(cmd, user);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1
            ? IdentityResult.Success
            : IdentityResult.Failed(new IdentityError { Code = "DuplicateUserName", Description = $"User name '{user.UserName}' (or its e-mail) is taken." });
    }

    public async Task<IdentityResult> UpdateAsync(OkrUser user, CancellationToken cancellationToken)
    {
        // Optimistic concurrency: Identity gives each update a new stamp; a stale copy updates nothing.
        var expected = user.ConcurrencyStamp;
        user.ConcurrencyStamp = Guid.NewGuid().ToString("N");
        await using var cmd = dataSource.CreateCommand("""
            update okr_users set user_name = @user_name, normalized_user_name = @normalized_user_name, email = @email,
                normalized_email = @normalized_email, display_name = @display_name, password_hash = @password_hash,
                security_stamp = @security_stamp, concurrency_stamp = @concurrency_stamp, role = @role, person_id = @person_id,
                disabled = @disabled, lockout_end = @lockout_end, access_failed_count = @access_failed_count
            where id = @id and concurrency_stamp = @expected
            """);
        Bind(cmd, user);
        cmd.Parameters.AddWithValue("expected", expected);
        if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 1) return IdentityResult.Success;
        user.ConcurrencyStamp = expected;
        return IdentityResult.Failed(new IdentityError { Code = "ConcurrencyFailure", Description = "The account was changed meanwhile; read it again." });
    }

    public async Task<IdentityResult> DeleteAsync(OkrUser user, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("delete from okr_users where id = @id");
        cmd.Parameters.AddWithValue("id", user.Id);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        return IdentityResult.Success;
    }

    public Task<OkrUser?> FindByIdAsync(string userId, CancellationToken cancellationToken) => FindOneAsync("id = @v", userId, cancellationToken);

    public Task<OkrUser?> FindByNameAsync(string normalizedUserName, CancellationToken cancellationToken) =>
        FindOneAsync("normalized_user_name = @v", normalizedUserName, cancellationToken);

    public Task<OkrUser?> FindByEmailAsync(string normalizedEmail, CancellationToken cancellationToken) =>
        FindOneAsync("normalized_email = @v", normalizedEmail, cancellationToken);

    /// <summary>Every account, by user name (the admin page; small installs have tens to thousands).</summary>
    public async Task<List<(OkrUser User, ImmutableArray<string> Logins)>> ListAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            select {Columns}, coalesce((select array_agg(login_provider order by login_provider) from okr_user_logins l where l.user_id = u.id), array[]::text[])
            from okr_users u order by normalized_user_name
            """);
        var result = new List<(OkrUser, ImmutableArray<string>)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result.Add((Read(reader), [.. reader.GetFieldValue<string[]>(15)]));
        return result;
    }

    /// <summary>Whether any account is an admin (a production install without one offers the first-run setup).</summary>
    public async Task<bool> AnyAdminAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("select exists (select 1 from okr_users where role = 'admin' and not disabled)");
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private async Task<OkrUser?> FindOneAsync(string where, string value, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"select {Columns} from okr_users where {where}");
        cmd.Parameters.AddWithValue("v", value);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    internal static OkrUser Read(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        UserName = r.GetString(1),
        NormalizedUserName = r.GetString(2),
        Email = r.IsDBNull(3) ? null : r.GetString(3),
        NormalizedEmail = r.IsDBNull(4) ? null : r.GetString(4),
        DisplayName = r.GetString(5),
        PasswordHash = r.IsDBNull(6) ? null : r.GetString(6),
        SecurityStamp = r.GetString(7),
        ConcurrencyStamp = r.GetString(8),
        Role = Roles.Parse(r.GetString(9)),
        PersonId = r.IsDBNull(10) ? null : r.GetString(10),
        Disabled = r.GetBoolean(11),
        LockoutEnd = r.IsDBNull(12) ? null : new DateTimeOffset(r.GetFieldValue<DateTime>(12), TimeSpan.Zero),
        AccessFailedCount = r.GetInt32(13),
        CreatedAt = new DateTimeOffset(r.GetFieldValue<DateTime>(14), TimeSpan.Zero),
    };

    /// <summary>Every column of an account as a parameter of the same name (@id, @user_name, …).</summary>
    internal static void Bind(NpgsqlCommand cmd, OkrUser u)
    {
        cmd.Parameters.AddWithValue("id", u.Id);
        cmd.Parameters.AddWithValue("user_name", u.UserName);
        cmd.Parameters.AddWithValue("normalized_user_name", u.NormalizedUserName);
        cmd.Parameters.AddWithValue("email", (object?)u.Email ?? DBNull.Value);
        cmd.Parameters.AddWithValue("normalized_email", (object?)u.NormalizedEmail ?? DBNull.Value);
        cmd.Parameters.AddWithValue("display_name", u.DisplayName);
        cmd.Parameters.AddWithValue("password_hash", (object?)u.PasswordHash ?? DBNull.Value);
        cmd.Parameters.AddWithValue("security_stamp", u.SecurityStamp);
        cmd.Parameters.AddWithValue("concurrency_stamp", u.ConcurrencyStamp);
        cmd.Parameters.AddWithValue("role", Roles.Name(u.Role));
        cmd.Parameters.AddWithValue("person_id", (object?)u.PersonId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("disabled", u.Disabled);
        cmd.Parameters.AddWithValue("lockout_end", (object?)u.LockoutEnd?.UtcDateTime ?? DBNull.Value);
        cmd.Parameters.AddWithValue("access_failed_count", u.AccessFailedCount);
    }

    // ---- Identity's accessors (the properties of OkrUser) -------------------------------------------------------

    public Task<string> GetUserIdAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(user.Id);
    public Task<string?> GetUserNameAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(user.UserName);
    public Task SetUserNameAsync(OkrUser user, string? userName, CancellationToken cancellationToken) { user.UserName = userName ?? ""; return Task.CompletedTask; }
    public Task<string?> GetNormalizedUserNameAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(user.NormalizedUserName);
    public Task SetNormalizedUserNameAsync(OkrUser user, string? normalizedName, CancellationToken cancellationToken) { user.NormalizedUserName = normalizedName ?? ""; return Task.CompletedTask; }
    public Task SetPasswordHashAsync(OkrUser user, string? passwordHash, CancellationToken cancellationToken) { user.PasswordHash = passwordHash; return Task.CompletedTask; }
    public Task<string?> GetPasswordHashAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(user.PasswordHash);
    public Task<bool> HasPasswordAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(user.PasswordHash is not null);
    public Task SetSecurityStampAsync(OkrUser user, string stamp, CancellationToken cancellationToken) { user.SecurityStamp = stamp; return Task.CompletedTask; }
    public Task<string?> GetSecurityStampAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(user.SecurityStamp);
    public Task<DateTimeOffset?> GetLockoutEndDateAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(user.LockoutEnd);
    public Task SetLockoutEndDateAsync(OkrUser user, DateTimeOffset? lockoutEnd, CancellationToken cancellationToken) { user.LockoutEnd = lockoutEnd; return Task.CompletedTask; }
    public Task<int> IncrementAccessFailedCountAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(++user.AccessFailedCount);
    public Task ResetAccessFailedCountAsync(OkrUser user, CancellationToken cancellationToken) { user.AccessFailedCount = 0; return Task.CompletedTask; }
    public Task<int> GetAccessFailedCountAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(user.AccessFailedCount);
    public Task<bool> GetLockoutEnabledAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(true);
    public Task SetLockoutEnabledAsync(OkrUser user, bool enabled, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task SetEmailAsync(OkrUser user, string? email, CancellationToken cancellationToken) { user.Email = email; return Task.CompletedTask; }
    public Task<string?> GetEmailAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(user.Email);
    // E-mail addresses are set by admins or come verified from the provider; nothing is sent to confirm them.
    public Task<bool> GetEmailConfirmedAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(user.Email is not null);
    public Task SetEmailConfirmedAsync(OkrUser user, bool confirmed, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task<string?> GetNormalizedEmailAsync(OkrUser user, CancellationToken cancellationToken) => Task.FromResult(user.NormalizedEmail);
    public Task SetNormalizedEmailAsync(OkrUser user, string? normalizedEmail, CancellationToken cancellationToken) { user.NormalizedEmail = normalizedEmail; return Task.CompletedTask; }

    // ---- External logins -----------------------------------------------------------------------------------------

    public async Task AddLoginAsync(OkrUser user, UserLoginInfo login, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            insert into okr_user_logins (login_provider, provider_key, provider_display_name, user_id)
            values (@p, @k, @d, @u)
            """);
        cmd.Parameters.AddWithValue("p", login.LoginProvider);
        cmd.Parameters.AddWithValue("k", login.ProviderKey);
        cmd.Parameters.AddWithValue("d", (object?)login.ProviderDisplayName ?? DBNull.Value);
        cmd.Parameters.AddWithValue("u", user.Id);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveLoginAsync(OkrUser user, string loginProvider, string providerKey, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("delete from okr_user_logins where user_id = @u and login_provider = @p and provider_key = @k");
        cmd.Parameters.AddWithValue("u", user.Id);
        cmd.Parameters.AddWithValue("p", loginProvider);
        cmd.Parameters.AddWithValue("k", providerKey);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IList<UserLoginInfo>> GetLoginsAsync(OkrUser user, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("select login_provider, provider_key, provider_display_name from okr_user_logins where user_id = @u");
        cmd.Parameters.AddWithValue("u", user.Id);
        var result = new List<UserLoginInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result.Add(new UserLoginInfo(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        return result;
    }

    public async Task<OkrUser?> FindByLoginAsync(string loginProvider, string providerKey, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"""
            select {Columns} from okr_users where id = (select user_id from okr_user_logins where login_provider = @p and provider_key = @k)
            """);
        cmd.Parameters.AddWithValue("p", loginProvider);
        cmd.Parameters.AddWithValue("k", providerKey);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }
}

/// <summary>Roles and scopes by their stored and JSON names.</summary>
public static class Roles
{
    public static string Name(Role role) => role.ToString().ToLowerInvariant();
    public static Role Parse(string name) => Enum.Parse<Role>(name, ignoreCase: true);
    public static string Name(AccessScope scope) => JsonNames.Camel(scope.ToString());
    public static AccessScope ParseScope(string name) => Enum.Parse<AccessScope>(name, ignoreCase: true);

    /// <summary>What a role may do, in a sentence for the account page.</summary>
    public static string Explain(Role role) => role switch
    {
        Role.Admin => "Everything: company objectives, cycles, people, teams, roles, tokens and the audit trail.",
        Role.Lead => "Your team's and its sub-teams' objectives and key results, scenarios over them, and wall links for their scorecards.",
        Role.Member => "Your own objectives and key results, and check-ins on key results you or your team own.",
        _ => "Read only: every dashboard, no changes.",
    };

    /// <summary>"team lead", "member", … — how pages say it.</summary>
    public static string Describe(Role role) => role switch
    {
        Role.Lead => "team lead",
        _ => Name(role),
    };
}
