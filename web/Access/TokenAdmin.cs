using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// Who may make and revoke which tokens and wall links. Anyone signed in makes personal tokens for themselves, up to
/// what their role allows; admins make service tokens and revoke anyone's; leads share their teams' scorecards as wall
/// links, admins any scorecard.
/// </summary>
public sealed class TokenAdmin(AccessTokens tokens, LiveBoard board, TimeProvider time)
{
    /// <summary>A personal token lasts 90 days unless told otherwise, and at most a year.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(90);
    public static readonly TimeSpan MaxPersonalLifetime = TimeSpan.FromDays(366);

    public async Task<List<TokenInfo>> ListPersonalAsync(Actor actor, bool all, CancellationToken ct = default)
    {
        if (all) EnsureAdmin(actor, "list everyone's tokens");
        return await tokens.ListAsync(TokenKind.Personal, all ? null : UserIdOf(actor), ct);
    }

    public Task<IssuedToken> CreatePersonalAsync(Actor actor, string? name, AccessScope? scope, DateTimeOffset? expiresAt, CancellationToken ct = default)
    {
        var userId = UserIdOf(actor);
        var wanted = scope ?? AccessScope.Read;
        Check.Enum("scope", wanted);
        var max = (AccessScope)Math.Min((int)Permissions.MaxScope(actor.Role), (int)actor.Scope);
        if (wanted > max)
            throw OkrRejectedException.Forbidden("scope", $"a {Roles.Describe(actor.Role)} may give a token at most the {Roles.Name(max)} scope.");
        var expires = Expiry(expiresAt, MaxPersonalLifetime, required: true);
        return tokens.CreateAsync(TokenKind.Personal, Name(name), userId, wanted, null, null, expires, actor, ct);
    }

    public async Task<List<TokenInfo>> ListServiceAsync(Actor actor, CancellationToken ct = default)
    {
        EnsureAdmin(actor, "list service tokens");
        return await tokens.ListAsync(TokenKind.Service, null, ct);
    }

    /// <summary>A service token acts as admin, or — with a team — as that team's lead; its scope bounds it further.</summary>
    public async Task<IssuedToken> CreateServiceAsync(Actor actor, string? name, AccessScope? scope, string? teamId, DateTimeOffset? expiresAt, CancellationToken ct = default)
    {
        EnsureAdmin(actor, "make service tokens");
        var wanted = scope ?? AccessScope.Read;
        Check.Enum("scope", wanted);
        if (teamId is not null)
        {
            var organisation = await board.GetOrganisationAsync(ct);
            if (organisation.Teams.All(t => t.Id != teamId)) throw OkrRejectedException.NotFound("teamId", teamId);
            if (wanted == AccessScope.Admin) throw OkrRejectedException.Invalid("scope", "a team's service token acts as its lead: at most the write scope.");
        }
        return await tokens.CreateAsync(TokenKind.Service, Name(name), null, wanted, null, teamId, Expiry(expiresAt, null, required: false), actor, ct);
    }

    public async Task<TokenInfo> RevokeAsync(Actor actor, string id, CancellationToken ct = default)
    {
        var token = await tokens.GetAsync(id, ct);
        var mine = token is { Kind: TokenKind.Personal } && token.UserId == UserIdOrNull(actor);
        var allowed = token switch
        {
            null => false,
            { Kind: TokenKind.Wall } => MayShare(actor, token.WallScope!),
            _ => mine || Permissions.MayAdminister(actor),
        };
        // Someone who may not revoke a token learns nothing about it, not even that it exists.
        if (token is null || !allowed) throw OkrRejectedException.NotFound("tokenId", id);
        return (await tokens.RevokeAsync(id, actor, ct))!;
    }

    public async Task<List<TokenInfo>> ListWallLinksAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayShareAny(actor)) throw OkrRejectedException.Forbidden("Authorization", $"{actor.Name} may not share scorecards: that takes a team lead or an admin.");
        var all = await tokens.ListAsync(TokenKind.Wall, null, ct);
        return [.. all.Where(l => MayShare(actor, l.WallScope!))];
    }

    /// <summary>A read-only link to the company's scorecard (admins) or a team's (its leads and admins).</summary>
    public async Task<IssuedToken> CreateWallLinkAsync(Actor actor, string? name, string? scope, DateTimeOffset? expiresAt, CancellationToken ct = default)
    {
        var wall = (scope ?? "").Trim();
        var teamId = wall == "company" ? null
            : wall.StartsWith("team:", StringComparison.Ordinal) && wall.Length > 5 ? wall[5..]
            : throw OkrRejectedException.Invalid("scope", "must be \"company\" or \"team:{teamId}\".");
        if (teamId is not null && (await board.GetOrganisationAsync(ct)).Teams.All(t => t.Id != teamId))
            throw OkrRejectedException.NotFound("scope", wall);
        if (!MayShare(actor, wall))
            throw OkrRejectedException.Forbidden("scope", teamId is null
                ? $"{actor.Name} may not share the company scorecard: that takes an admin."
                : $"{actor.Name} may not share team '{teamId}'s scorecard: that takes its lead or an admin.");
        return await tokens.CreateAsync(TokenKind.Wall, Name(name), null, AccessScope.Read, wall, null, Expiry(expiresAt, null, required: false), actor, ct);
    }

    public static bool MayShareAny(Actor actor) => Permissions.MayShareWall(actor, actor.TeamId) || Permissions.MayAdminister(actor);

    private static bool MayShare(Actor actor, string wallScope) =>
        wallScope == "company" ? Permissions.MayAdminister(actor) : Permissions.MayShareWall(actor, wallScope["team:".Length..]);

    private DateTimeOffset? Expiry(DateTimeOffset? expiresAt, TimeSpan? max, bool required)
    {
        var now = time.GetUtcNow();
        if (expiresAt is null) return required ? now + DefaultLifetime : null;
        var at = Check.Instant(expiresAt.Value);
        if (at <= now) throw OkrRejectedException.Invalid("expiresAt", "must be in the future.");
        if (max is { } limit && at > now + limit) throw OkrRejectedException.Invalid("expiresAt", $"must be within {limit.TotalDays:0} days.");
        if (at.Year > 9000) throw OkrRejectedException.Invalid("expiresAt", "is too far away.");
        return at;
    }

    private static string Name(string? name) => Check.Title("name", name, Check.MaxName);

    private static string UserIdOf(Actor actor) =>
        UserIdOrNull(actor) ?? throw OkrRejectedException.Forbidden("Authorization", "personal tokens belong to a person's account; a service token cannot make them.");

    private static string? UserIdOrNull(Actor actor) => actor.Id.StartsWith("user:", StringComparison.Ordinal) ? actor.Id[5..] : null;

    private static void EnsureAdmin(Actor actor, string what)
    {
        if (!Permissions.MayAdminister(actor)) throw OkrRejectedException.Forbidden("Authorization", $"{actor.Name} may not {what}: that takes an admin.");
    }
}
