using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>Whether this host is to seed the demo (Demo:Seed; by default only with the embedded PostgreSQL of a checkout).</summary>
public sealed record DemoSettings(bool Seed);

/// <summary>
/// At start: decides (once per database) whether it is a demo, and then makes sure someone can sign in — the demo's
/// accounts on a demo database; on a production database without an admin, the configured initial admin, or else a
/// one-time setup link written to the log.
/// </summary>
public sealed class AccessBootstrap(
    DatabaseMode mode, DemoSettings demo, IServiceScopeFactory scopes, UserStore store, NpgsqlDataSource dataSource,
    IOptions<AuthOptions> options, ILogger<AccessBootstrap> logger) : IHostedService
{
    public const string SetupTokenKey = "setup_token";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountAdmin>();
        var isDemo = await mode.IsDemoAsync(demo.Seed, cancellationToken);
        if (options.Value.Anonymous is { Enabled: true, Role: > Role.Viewer } anonymous && !isDemo)
            throw new InvalidOperationException(
                $"Auth:Anonymous:Role is {Roles.Name(anonymous.Role)}, but anonymous access may only read (viewer) on a database that is not a demo: "
                + "anyone reaching this host could change its data. Use viewer, or turn anonymous access off.");
        if (isDemo)
        {
            await accounts.EnsureDemoAccountsAsync(DemoAccounts.All, cancellationToken);
            logger.LogInformation("Demo database: anyone may sign in as the demo company's people at /account/login.");
            return;
        }
        if (await store.AnyAdminAsync(cancellationToken)) return;
        var initial = options.Value.InitialAdmin;
        if (!string.IsNullOrWhiteSpace(initial.UserName) && !string.IsNullOrEmpty(initial.Password))
        {
            await accounts.CreateFirstAdminAsync(new NewUser(initial.UserName, initial.DisplayName ?? initial.UserName, null, initial.Password, Role.Admin, null),
                "initial-admin", cancellationToken);
            logger.LogInformation("Created the initial admin '{UserName}' (Auth:InitialAdmin).", initial.UserName);
            return;
        }
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
        await using var cmd = dataSource.CreateCommand("""
            insert into okr_settings (key, value, updated_at) values (@key, @value, now())
            on conflict (key) do update set value = excluded.value, updated_at = now()
            """);
        cmd.Parameters.AddWithValue("key", SetupTokenKey);
        cmd.Parameters.AddWithValue("value", AccountAdmin.HashSetupToken(token));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        logger.LogWarning("No admin yet. Create the first one at /account/setup?token={Token} (valid until an admin exists; a restart makes a new one).", token);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether a setup token is the one last written to the log (and no admin exists yet).</summary>
    public static async Task<bool> SetupTokenValidAsync(NpgsqlDataSource dataSource, string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100) return false;
        await using var cmd = dataSource.CreateCommand("select value from okr_settings where key = @key");
        cmd.Parameters.AddWithValue("key", SetupTokenKey);
        var stored = (string?)await cmd.ExecuteScalarAsync(ct);
        return stored is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(stored), System.Text.Encoding.ASCII.GetBytes(AccountAdmin.HashSetupToken(token)));
    }

    public static async Task ForgetSetupTokenAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("delete from okr_settings where key = @key");
        cmd.Parameters.AddWithValue("key", SetupTokenKey);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Identity's principal for an account: its id, display name and security stamp, and that it is a person.</summary>
public sealed class OkrUserClaimsFactory(UserManager<OkrUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<OkrUser>(users, options)
{
    protected override async Task<System.Security.Claims.ClaimsIdentity> GenerateClaimsAsync(OkrUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new(OkrClaims.Kind, OkrClaims.KindUser));
        identity.AddClaim(new(OkrClaims.UserId, user.Id));
        return identity;
    }
}
