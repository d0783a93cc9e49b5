using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>A new account as an admin (or the first-run setup) gives it.</summary>
public sealed record NewUser(string UserName, string DisplayName, string? Email, string? Password, Role Role, string? PersonId);

/// <summary>A change of an account; what is left out stays.</summary>
public sealed record UserChange(string? DisplayName = null, string? Email = null, Role? Role = null, string? PersonId = null,
    bool ClearPerson = false, bool? Disabled = null, string? Password = null);

/// <summary>
/// Accounts: created, changed, mapped to people, disabled — by admins, each change with its audit entry in one
/// transaction; passwords hashed and checked by ASP.NET Core Identity. Also the first-run admin and the demo's
/// accounts, which need no admin.
/// </summary>
public sealed class AccountAdmin(
    NpgsqlDataSource dataSource, UserManager<OkrUser> users, UserStore store, UserDirectory directory, LiveBoard board, TimeProvider time)
{
    public async Task<List<UserView>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        EnsureAdmin(actor, "read the accounts");
        return [.. (await store.ListAsync(ct)).Select(x => UserView.Of(x.User, x.Logins))];
    }

    public async Task<UserView> GetAsync(Actor actor, string userId, CancellationToken ct = default)
    {
        EnsureAdmin(actor, "read the accounts");
        return await ViewAsync(await store.FindByIdAsync(userId, ct) ?? throw OkrRejectedException.NotFound("userId", userId), ct);
    }

    /// <summary>The caller's own account (no admin needed); null for an actor that is not an account (a service token).</summary>
    public async Task<UserView?> SelfAsync(Actor actor, CancellationToken ct = default)
    {
        if (!actor.Id.StartsWith("user:", StringComparison.Ordinal)) return null;
        var user = await store.FindByIdAsync(actor.Id["user:".Length..], ct);
        return user is null ? null : await ViewAsync(user, ct);
    }

    private async Task<UserView> ViewAsync(OkrUser user, CancellationToken ct) =>
        UserView.Of(user, [.. (await store.GetLoginsAsync(user, ct)).Select(l => l.LoginProvider)]);

    public async Task<UserView> CreateAsync(Actor actor, NewUser request, CancellationToken ct = default)
    {
        EnsureAdmin(actor, "add accounts");
        var user = await ValidNewUserAsync(request, ct);
        await InsertAsync(user, actor, ct);
        return UserView.Of(user, []);
    }

    public async Task<UserView> ChangeAsync(Actor actor, string userId, UserChange change, CancellationToken ct = default)
    {
        EnsureAdmin(actor, "change accounts");
        var user = await store.FindByIdAsync(userId, ct) ?? throw OkrRejectedException.NotFound("userId", userId);
        var before = Describe(user);
        if (change.DisplayName is not null) user.DisplayName = Check.Title("displayName", change.DisplayName, Check.MaxName);
        if (change.Email is not null) SetEmail(user, change.Email);
        if (change.Role is { } role)
        {
            Check.Enum("role", role);
            if (user.Role == Role.Admin && role != Role.Admin) await EnsureAnotherAdminAsync(user, "role", ct);
            user.Role = role;
        }
        if (change.ClearPerson) user.PersonId = null;
        else if (change.PersonId is not null) user.PersonId = await PersonAsync(change.PersonId, ct);
        if (change.Disabled is { } disabled)
        {
            if (disabled && user.Id == actor.Id["user:".Length..]) throw OkrRejectedException.Invalid("disabled", "you cannot disable your own account.");
            if (disabled && user.Role == Role.Admin) await EnsureAnotherAdminAsync(user, "disabled", ct);
            user.Disabled = disabled;
        }
        if (change.Password is not null) user.PasswordHash = await HashAsync(user, change.Password, ct);
        // Sessions re-check the stamp: a new role, person, password or a disabled account takes effect on them too.
        user.SecurityStamp = NewStamp();
        await UpdateAsync(user, actor, AuditActions.UserChanged, before, ct);
        return await ViewAsync(user, ct);
    }

    /// <summary>The first admin of a production database, made on the setup page with the token the log printed.</summary>
    public async Task<OkrUser> CreateFirstAdminAsync(NewUser request, string via, CancellationToken ct = default)
    {
        if (await store.AnyAdminAsync(ct)) throw OkrRejectedException.Conflict("setup", "an admin exists already; sign in instead.");
        var user = await ValidNewUserAsync(request with { Role = Role.Admin }, ct);
        var system = Actor.System with { Via = via };
        await InsertAsync(user, system, ct);
        return user;
    }

    /// <summary>The demo's accounts (no passwords: the demo sign-in page signs in as them). Skips those that exist.</summary>
    public async Task EnsureDemoAccountsAsync(IEnumerable<(string Id, string DisplayName, Role Role, string? PersonId)> accounts, CancellationToken ct)
    {
        foreach (var (id, name, role, person) in accounts)
        {
            if (await store.FindByIdAsync(id, ct) is not null) continue;
            var user = new OkrUser
            {
                Id = id, UserName = id, NormalizedUserName = users.NormalizeName(id), DisplayName = name, Role = role, PersonId = person,
                SecurityStamp = NewStamp(),
            };
            await InsertAsync(user, Actor.System with { Via = "demo" }, ct);
        }
    }

    /// <summary>
    /// The account for someone an OpenID Connect provider signed in: the one linked to their subject; else one an admin
    /// made with the same verified e-mail address (linked now); else a new one with the default role, if allowed.
    /// </summary>
    public async Task<OkrUser?> ExternalAsync(string provider, string subject, string? email, bool emailVerified, string? name,
        OidcOptions options, CancellationToken ct)
    {
        if (await store.FindByLoginAsync(provider, subject, ct) is { } linked) return linked;
        var login = new UserLoginInfo(provider, subject, options.DisplayName);
        if (email is not null && emailVerified && await store.FindByEmailAsync(users.NormalizeEmail(email), ct) is { } byEmail)
        {
            await store.AddLoginAsync(byEmail, login, ct);
            return byEmail;
        }
        if (!options.AutoProvision) return null;
        var baseName = email ?? name ?? subject;
        var user = new OkrUser
        {
            Id = Guid.NewGuid().ToString("N")[..16],
            UserName = baseName,
            NormalizedUserName = users.NormalizeName($"{provider}:{subject}"),
            DisplayName = Check.Title("name", name ?? email ?? subject, Check.MaxName),
            Role = options.DefaultRole,
            SecurityStamp = NewStamp(),
        };
        if (email is not null && emailVerified && await store.FindByEmailAsync(users.NormalizeEmail(email), ct) is null) SetEmail(user, email);
        await InsertAsync(user, Actor.System with { Via = "oidc" }, ct);
        await store.AddLoginAsync(user, login, ct);
        return user;
    }

    private async Task<OkrUser> ValidNewUserAsync(NewUser request, CancellationToken ct)
    {
        var userName = Check.Slug("userName", request.UserName?.Trim().ToLowerInvariant() ?? "");
        if (await store.FindByNameAsync(users.NormalizeName(userName), ct) is not null)
            throw OkrRejectedException.Conflict("userName", $"'{userName}' is taken.");
        Check.Enum("role", request.Role);
        var user = new OkrUser
        {
            Id = userName,
            UserName = userName,
            NormalizedUserName = users.NormalizeName(userName),
            DisplayName = Check.Title("displayName", request.DisplayName, Check.MaxName),
            Role = request.Role,
            SecurityStamp = NewStamp(),
        };
        if (await store.FindByIdAsync(user.Id, ct) is not null) throw OkrRejectedException.Conflict("userName", $"'{userName}' is taken.");
        if (request.Email is not null) SetEmail(user, request.Email);
        if (user.NormalizedEmail is not null && await store.FindByEmailAsync(user.NormalizedEmail, ct) is not null)
            throw OkrRejectedException.Conflict("email", $"'{user.Email}' belongs to another account.");
        if (request.PersonId is not null) user.PersonId = await PersonAsync(request.PersonId, ct);
        if (request.Password is not null) user.PasswordHash = await HashAsync(user, request.Password, ct);
        return user;
    }

    private void SetEmail(OkrUser user, string email)
    {
        var trimmed = email.Trim();
        if (trimmed.Length == 0) { user.Email = null; user.NormalizedEmail = null; return; }
        if (trimmed.Length > Check.MaxName || !trimmed.Contains('@') || trimmed.Any(char.IsWhiteSpace))
            throw OkrRejectedException.Invalid("email", "must be an e-mail address.");
        user.Email = trimmed;
        user.NormalizedEmail = users.NormalizeEmail(trimmed);
    }

    private async Task<string> PersonAsync(string personId, CancellationToken ct)
    {
        var organisation = await board.GetOrganisationAsync(ct);
        return organisation.People.Any(p => p.Id == personId) ? personId : throw OkrRejectedException.NotFound("personId", personId);
    }

    /// <summary>Identity's password rules (length, kinds of characters), then its hash.</summary>
    private async Task<string> HashAsync(OkrUser user, string password, CancellationToken ct)
    {
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, user, password);
            if (!result.Succeeded) throw OkrRejectedException.Invalid("password", string.Join(" ", result.Errors.Select(e => e.Description)));
        }
        return users.PasswordHasher.HashPassword(user, password);
    }

    private async Task EnsureAnotherAdminAsync(OkrUser user, string field, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("select count(*) from okr_users where role = 'admin' and not disabled and id <> @id");
        cmd.Parameters.AddWithValue("id", user.Id);
        if ((long)(await cmd.ExecuteScalarAsync(ct))! == 0)
            throw OkrRejectedException.Conflict(field, $"'{user.UserName}' is the last admin; make someone else admin first.");
    }

    private async Task InsertAsync(OkrUser user, Actor actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("""
            insert into okr_users (id, user_name, normalized_user_name, email, normalized_email, display_name, password_hash,
                security_stamp, concurrency_stamp, role, person_id, disabled)
            values (@id, @user_name, @normalized_user_name, @email, @normalized_email, @display_name, @password_hash,
                @security_stamp, @concurrency_stamp, @role, @person_id, @disabled)
            """, connection, tx))
        {
            UserStore.Bind(cmd, user);
            try { await cmd.ExecuteNonQueryAsync(ct); }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw OkrRejectedException.Conflict(e.ConstraintName == "okr_users_email" ? "email" : "userName", "is taken by another account.");
            }
        }
        await AuditWriter.WriteAsync(connection, tx, time.GetUtcNow(), actor, AuditActions.UserCreated, user.Id, null, Describe(user), ct);
        await tx.CommitAsync(ct);
    }

    private async Task UpdateAsync(OkrUser user, Actor actor, string action, object before, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("""
            update okr_users set email = @email, normalized_email = @normalized_email, display_name = @display_name,
                password_hash = @password_hash, security_stamp = @security_stamp, concurrency_stamp = @concurrency_stamp,
                role = @role, person_id = @person_id, disabled = @disabled
            where id = @id
            """, connection, tx))
        {
            user.ConcurrencyStamp = Guid.NewGuid().ToString("N");
            UserStore.Bind(cmd, user);
            try { await cmd.ExecuteNonQueryAsync(ct); }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw OkrRejectedException.Conflict("email", "is taken by another account.");
            }
        }
        await AuditWriter.WriteAsync(connection, tx, time.GetUtcNow(), actor, action, user.Id, before, Describe(user), ct);
        await tx.CommitAsync(ct);
        directory.Forget(user.Id);
    }

    /// <summary>What the audit keeps of an account: never its password hash or stamps.</summary>
    private static object Describe(OkrUser u) => new
    {
        u.Id, u.UserName, u.DisplayName, u.Email, role = Roles.Name(u.Role), u.PersonId, u.Disabled, hasPassword = u.PasswordHash is not null,
    };

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private static void EnsureAdmin(Actor actor, string what)
    {
        if (!Permissions.MayAdminister(actor)) throw OkrRejectedException.Forbidden("Authorization", $"{actor.Name} may not {what}: that takes an admin.");
    }

    /// <summary>The setup token's stored form: its SHA-256, hex.</summary>
    public static string HashSetupToken(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
