using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>The claims OkrGrid puts on a principal, whatever signed it in (cookie, bearer token, wall link).</summary>
public static class OkrClaims
{
    /// <summary>"user" (a person's session or personal token), "service" (a service token) or "wall" (a wall link).</summary>
    public const string Kind = "okr:kind";
    public const string UserId = "okr:user";
    public const string TokenId = "okr:token";
    public const string Role = "okr:role";
    public const string Scope = "okr:scope";
    public const string Person = "okr:person";
    /// <summary>A service token's team (it acts as that team's lead).</summary>
    public const string Team = "okr:team";
    /// <summary>A wall link's scorecard: "company" or "team:{id}".</summary>
    public const string Wall = "okr:wall";
    /// <summary>Set once the claims were refreshed from the account for this request.</summary>
    public const string Fresh = "okr:fresh";

    public const string KindUser = "user";
    public const string KindService = "service";
    public const string KindWall = "wall";
    /// <summary>Nobody in particular: a request without a credential, where anonymous access is on.</summary>
    public const string KindAnonymous = "anonymous";
    /// <summary>A metrics scraper (Prometheus) with the host's scrape token: it reads /metrics and nothing else.</summary>
    public const string KindScraper = "scraper";

    public static string? Get(this ClaimsPrincipal principal, string type) => principal.FindFirst(type)?.Value;

    public static Role? RoleOf(ClaimsPrincipal p) => p.Get(Role) is { } r ? Roles.Parse(r) : null;
    public static AccessScope? ScopeOf(ClaimsPrincipal p) => p.Get(Scope) is { } s ? Roles.ParseScope(s) : null;
}

/// <summary>
/// Accounts as the request path sees them: read from PostgreSQL and kept for a few seconds per host, so a role
/// change or a disabled account takes effect on every host within that time (at once on the host that made it).
/// </summary>
public sealed class UserDirectory(UserStore store, TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (OkrUser? User, DateTimeOffset ReadAt)> _cache = new();

    public async ValueTask<OkrUser?> GetAsync(string userId, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(userId, out var hit) && now - hit.ReadAt < CacheFor) return hit.User;
        var user = await store.FindByIdAsync(userId, ct);
        _cache[userId] = (user, now);
        return user;
    }

    public void Forget(string userId) => _cache.TryRemove(userId, out _);
}

/// <summary>
/// Refreshes a signed-in person's claims from their account on every request (role, person, name; a token's scope
/// capped by the role), so the role that counts is the one the account has now, not the one it had at sign-in; a
/// disabled or deleted account is no longer signed in.
/// </summary>
public sealed class OkrClaimsTransformation(UserDirectory users) : IClaimsTransformation
{
    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true || principal.HasClaim(c => c.Type == OkrClaims.Fresh)) return principal;
        if (principal.Get(OkrClaims.Kind) != OkrClaims.KindUser) return principal; // services and walls carry their own
        var userId = principal.Get(OkrClaims.UserId) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null || await users.GetAsync(userId) is not { Disabled: false } user) return new ClaimsPrincipal(new ClaimsIdentity());

        var identity = principal.Identity as ClaimsIdentity;
        var claims = principal.Claims.Where(c => c.Type is not (OkrClaims.Role or OkrClaims.Person or OkrClaims.UserId or ClaimTypes.Name or OkrClaims.Scope)).ToList();
        var tokenScope = OkrClaims.ScopeOf(principal) ?? AccessScope.Admin;
        var scope = (AccessScope)Math.Min((int)tokenScope, (int)Permissions.MaxScope(user.Role));
        if (principal.Get(OkrClaims.TokenId) is null) scope = AccessScope.Admin; // a session: the role alone bounds it
        claims.Add(new Claim(OkrClaims.UserId, user.Id));
        claims.Add(new Claim(ClaimTypes.Name, user.DisplayName));
        claims.Add(new Claim(OkrClaims.Role, Roles.Name(user.Role)));
        claims.Add(new Claim(OkrClaims.Scope, Roles.Name(scope)));
        if (user.PersonId is not null) claims.Add(new Claim(OkrClaims.Person, user.PersonId));
        claims.Add(new Claim(OkrClaims.Fresh, "1"));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, identity?.AuthenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }
}

/// <summary>
/// The <see cref="Actor"/> a principal is for the engine: who (the account, or the service token), what role and
/// scope, their person and team, and — for a lead — the teams they lead (their team and every team below it).
/// </summary>
public sealed class ActorResolver(LiveBoard board, UserDirectory users)
{
    private static readonly ConditionalWeakTable<OrganisationView, Dictionary<string, ImmutableArray<string>>> Subtrees = [];

    /// <summary>
    /// The actor of a principal, through <paramref name="via"/> ("page", "api"); a token's requests are "token:{id}".
    /// Null for anyone who may change nothing here (anonymous, a wall link).
    /// </summary>
    public async Task<Actor?> ResolveAsync(ClaimsPrincipal principal, string via, CancellationToken ct = default)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        var tokenId = principal.Get(OkrClaims.TokenId);
        if (tokenId is not null) via = $"token:{tokenId}";
        var organisation = await board.GetOrganisationAsync(ct);
        switch (principal.Get(OkrClaims.Kind))
        {
            case OkrClaims.KindUser:
                {
                    // The account as it is now: a page stays open for hours, its role may have changed since sign-in.
                    var userId = principal.Get(OkrClaims.UserId) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier);
                    if (userId is null || await users.GetAsync(userId, ct) is not { Disabled: false } user) return null;
                    var scope = tokenId is null ? AccessScope.Admin
                        : (AccessScope)Math.Min((int)(OkrClaims.ScopeOf(principal) ?? AccessScope.Read), (int)Permissions.MaxScope(user.Role));
                    var team = user.PersonId is null ? null : organisation.People.FirstOrDefault(p => p.Id == user.PersonId)?.TeamId;
                    return new Actor($"user:{user.Id}", user.DisplayName, via, user.Role, scope, user.PersonId, team,
                        user.Role == Role.Lead ? SubtreeOf(organisation, team) : []);
                }
            case OkrClaims.KindAnonymous:
                {
                    var role = OkrClaims.RoleOf(principal) ?? Role.Viewer;
                    return new Actor("anonymous", "Anonymous", "anonymous", role, Permissions.MaxScope(role));
                }
            case OkrClaims.KindService:
                {
                    var team = principal.Get(OkrClaims.Team);
                    var role = team is null ? Role.Admin : Role.Lead;
                    return new Actor($"service:{tokenId}", $"{principal.Identity.Name} (service token)", via, role,
                        OkrClaims.ScopeOf(principal) ?? AccessScope.Read, null, team, role == Role.Lead ? SubtreeOf(organisation, team) : []);
                }
            default:
                return null;
        }
    }

    /// <summary>A team and every team below it (empty for no team).</summary>
    public static ImmutableArray<string> SubtreeOf(OrganisationView organisation, string? teamId)
    {
        if (teamId is null) return [];
        var map = Subtrees.GetValue(organisation, org =>
        {
            var children = org.Teams.Where(t => t.ParentTeamId is not null).ToLookup(t => t.ParentTeamId!, t => t.Id);
            var result = new Dictionary<string, ImmutableArray<string>>();
            foreach (var team in org.Teams)
            {
                var all = ImmutableArray.CreateBuilder<string>();
                var stack = new Stack<string>([team.Id]);
                var seen = new HashSet<string>();
                while (stack.TryPop(out var id))
                {
                    if (!seen.Add(id)) continue;
                    all.Add(id);
                    foreach (var c in children[id]) stack.Push(c);
                }
                result[team.Id] = all.ToImmutable();
            }
            return result;
        });
        return map.GetValueOrDefault(teamId, []);
    }
}
