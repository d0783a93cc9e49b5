using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>The "Auth" configuration section (appsettings or environment, e.g. <c>Auth__Oidc__Authority</c>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>OpenID Connect sign-in (Keycloak, Entra ID, Google, …); off while <see cref="OidcOptions.Authority"/> is empty.</summary>
    public OidcOptions Oidc { get; set; } = new();

    /// <summary>An admin account created on the first start of a production database that has none (for automated installs).</summary>
    public InitialAdminOptions InitialAdmin { get; set; } = new();

    /// <summary>Other origins allowed to send changes and open the hub (a portal that embeds a wall, say).</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>How long a sign-in lasts without use (sliding).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Access without signing in (off by default), as Grafana's anonymous access: see <see cref="AnonymousOptions"/>.</summary>
    public AnonymousOptions Anonymous { get; set; } = new();
}

/// <summary>
/// Requests with no credential at all act with <see cref="Role"/> — e.g. viewer, for an intranet where anyone may look
/// at the dashboards without an account. A role that can change anything (member and up) is refused at start unless
/// the database is a demo, where anyone may already sign in as anyone.
/// </summary>
public sealed class AnonymousOptions
{
    public bool Enabled { get; set; }
    public Role Role { get; set; } = Role.Viewer;
}

public sealed class OidcOptions
{
    /// <summary>The provider's issuer URL, e.g. https://login.microsoftonline.com/{tenant}/v2.0 or https://keycloak/realms/acme.</summary>
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }

    /// <summary>The button's words: "Sign in with {DisplayName}".</summary>
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>Scopes asked for besides openid: the profile and e-mail give the name and the address to link accounts by.</summary>
    public List<string> Scopes { get; set; } = ["profile", "email"];

    /// <summary>Only for a provider on plain HTTP in a lab or a test; production providers are HTTPS.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// Someone the provider signs in who has no account here: with true (the default) an account is made for them with
    /// <see cref="DefaultRole"/>; with false they are turned away until an admin adds them. An account an admin made
    /// with the same (verified) e-mail address is linked instead.
    /// </summary>
    public bool AutoProvision { get; set; } = true;
    public Role DefaultRole { get; set; } = Role.Viewer;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);
}

public sealed class InitialAdminOptions
{
    public string? UserName { get; set; }
    public string? Password { get; set; }
    public string? DisplayName { get; set; }
}
