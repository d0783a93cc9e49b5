using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// An account: a local one (with a password) or one that signs in through an external OpenID Connect provider. It
/// maps to a person of the organisation (<see cref="PersonId"/>) and has one <see cref="Role"/>; a lead leads the team
/// of their person and the teams below it.
/// </summary>
public sealed class OkrUser
{
    public string Id { get; set; } = "";
    public string UserName { get; set; } = "";
    public string NormalizedUserName { get; set; } = "";
    public string? Email { get; set; }
    public string? NormalizedEmail { get; set; }
    public string DisplayName { get; set; } = "";
    public string? PasswordHash { get; set; }
    public string SecurityStamp { get; set; } = "";
    public string ConcurrencyStamp { get; set; } = Guid.NewGuid().ToString("N");
    public Role Role { get; set; } = Role.Viewer;
    public string? PersonId { get; set; }
    public bool Disabled { get; set; }
    public DateTimeOffset? LockoutEnd { get; set; }
    public int AccessFailedCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An account as the API and the admin pages show it (never its password hash or stamps).</summary>
public sealed record UserView(
    string Id, string UserName, string DisplayName, string? Email, Role Role, string? PersonId, bool Disabled,
    bool HasPassword, ImmutableArray<string> ExternalLogins, DateTimeOffset CreatedAt)
{
    public static UserView Of(OkrUser u, ImmutableArray<string> logins) =>
        new(u.Id, u.UserName, u.DisplayName, u.Email, u.Role, u.PersonId, u.Disabled, u.PasswordHash is not null, logins, u.CreatedAt);
}
