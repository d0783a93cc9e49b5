using OkrGrid.Access;

namespace OkrGrid.Web.Apis;

/// <summary>A new personal token: its name, scope (read, checkIn, write, admin; at most what the role allows) and expiry (default 90 days).</summary>
public sealed record CreateTokenRequest(string? Name, AccessScope? Scope = null, DateTimeOffset? ExpiresAt = null);

/// <summary>A new service token: acts as admin, or as the lead of <see cref="TeamId"/>, within its scope; no expiry unless given.</summary>
public sealed record CreateServiceTokenRequest(string? Name, AccessScope? Scope = null, string? TeamId = null, DateTimeOffset? ExpiresAt = null);

/// <summary>A new wall link: "company" or "team:{teamId}".</summary>
public sealed record CreateWallLinkRequest(string? Name, string? Scope, DateTimeOffset? ExpiresAt = null);

/// <summary>A new account (an admin's). Without a password it signs in through single sign-on only.</summary>
public sealed record CreateUserRequest(string? UserName, string? DisplayName, Role? Role, string? Email = null, string? Password = null, string? PersonId = null);

/// <summary>A change of an account; a field left out stays. <c>personId: ""</c> unmaps the person.</summary>
public sealed record EditUserRequest(string? DisplayName = null, string? Email = null, Role? Role = null, string? PersonId = null, bool? Disabled = null, string? Password = null);

/// <summary>A token as its owner and admins see it (the secret only in <see cref="TokenCreated"/>, once).</summary>
public sealed record TokenView(string Id, string Kind, string Name, string? UserId, string Scope, string? TeamId,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt, bool Active)
{
    public static TokenView Of(TokenInfo t, DateTimeOffset now) => new(t.Id, t.Kind.ToString().ToLowerInvariant(), t.Name, t.UserId,
        t.Kind == TokenKind.Wall ? t.WallScope! : Roles.Name(t.Scope), t.TeamId, t.CreatedAt, t.CreatedBy, t.ExpiresAt, t.RevokedAt, t.LastUsedAt, t.Active(now));
}

/// <summary>The answer to a creation: the token's record, and the token itself — shown this once, never again.</summary>
public sealed record TokenCreated(TokenView Info, string Token, string? Url);

/// <summary>
/// Trust: personal and service tokens, wall links, accounts and the audit trail. Tokens and wall links are stored
/// hashed and shown once; every change here is audited with who made it.
/// </summary>
public static class AccessApi
{
    public static IEndpointRouteBuilder MapAccessApi(this IEndpointRouteBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Access").WithOkrProblems().RequireAuthorization(Policies.Account);
        tokens.MapGet("/", ListTokensAsync).WithName("ListTokens");
        tokens.MapPost("/", CreateTokenAsync).WithName("CreateToken");
        tokens.MapDelete("/{id}", RevokeTokenAsync).WithName("RevokeToken");

        var service = api.MapGroup("/service-tokens").WithTags("Access").WithOkrProblems().RequireAuthorization(Policies.Admin);
        service.MapGet("/", ListServiceTokensAsync).WithName("ListServiceTokens");
        service.MapPost("/", CreateServiceTokenAsync).WithName("CreateServiceToken");
        service.MapDelete("/{id}", RevokeServiceTokenAsync).WithName("RevokeServiceToken");

        var walls = api.MapGroup("/wall-links").WithTags("Access").WithOkrProblems().RequireAuthorization(Policies.Share);
        walls.MapGet("/", ListWallLinksAsync).WithName("ListWallLinks");
        walls.MapPost("/", CreateWallLinkAsync).WithName("CreateWallLink");
        walls.MapDelete("/{id}", RevokeWallLinkAsync).WithName("RevokeWallLink");

        var users = api.MapGroup("/users").WithTags("Access").WithOkrProblems().RequireAuthorization(Policies.Admin);
        users.MapGet("/", ListUsersAsync).WithName("ListUsers");
        users.MapGet("/{userId}", GetUserAsync).WithName("GetUser");
        users.MapPost("/", CreateUserAsync).WithName("CreateUser");
        users.MapPatch("/{userId}", EditUserAsync).WithName("EditUser");

        var audit = api.MapGroup("/audit").WithTags("Audit").WithOkrProblems().RequireAuthorization(Policies.Admin);
        audit.MapGet("/", ReadAuditAsync).WithName("ReadAudit");
        api.MapGroup("/activity").WithTags("Audit").WithOkrProblems()
            .MapGet("/{nodeId}", ReadActivityAsync).WithName("ReadActivity");
        return api;
    }

    // ---- Personal tokens ---------------------------------------------------------------------------------------

    /// <summary>The caller's personal tokens (an admin: everyone's with <c>?all=true</c>), newest first.</summary>
    public static async Task<Ok<ImmutableArray<TokenView>>> ListTokensAsync(bool? all, TokenAdmin admin, ApiCaller caller, TimeProvider time) =>
        TypedResults.Ok(Views(await admin.ListPersonalAsync(caller.Actor, all ?? false), time));

    public static async Task<Created<TokenCreated>> CreateTokenAsync(CreateTokenRequest request, TokenAdmin admin, ApiCaller caller, TimeProvider time)
    {
        var issued = await admin.CreatePersonalAsync(caller.Actor, request.Name, request.Scope, request.ExpiresAt);
        return TypedResults.Created($"/api/tokens/{issued.Info.Id}", new TokenCreated(TokenView.Of(issued.Info, time.GetUtcNow()), issued.Token, null));
    }

    public static async Task<Ok<TokenView>> RevokeTokenAsync(string id, TokenAdmin admin, ApiCaller caller, TimeProvider time) =>
        TypedResults.Ok(TokenView.Of(await admin.RevokeAsync(caller.Actor, id), time.GetUtcNow()));

    // ---- Service tokens ----------------------------------------------------------------------------------------

    public static async Task<Ok<ImmutableArray<TokenView>>> ListServiceTokensAsync(TokenAdmin admin, ApiCaller caller, TimeProvider time) =>
        TypedResults.Ok(Views(await admin.ListServiceAsync(caller.Actor), time));

    public static async Task<Created<TokenCreated>> CreateServiceTokenAsync(CreateServiceTokenRequest request, TokenAdmin admin, ApiCaller caller, TimeProvider time)
    {
        var issued = await admin.CreateServiceAsync(caller.Actor, request.Name, request.Scope, request.TeamId, request.ExpiresAt);
        return TypedResults.Created($"/api/service-tokens/{issued.Info.Id}", new TokenCreated(TokenView.Of(issued.Info, time.GetUtcNow()), issued.Token, null));
    }

    public static Task<Ok<TokenView>> RevokeServiceTokenAsync(string id, TokenAdmin admin, ApiCaller caller, TimeProvider time) =>
        RevokeTokenAsync(id, admin, caller, time);

    // ---- Wall links --------------------------------------------------------------------------------------------

    /// <summary>The wall links the caller may manage: an admin's, all; a lead's, those of the teams they lead.</summary>
    public static async Task<Ok<ImmutableArray<TokenView>>> ListWallLinksAsync(TokenAdmin admin, ApiCaller caller, TimeProvider time) =>
        TypedResults.Ok(Views(await admin.ListWallLinksAsync(caller.Actor), time));

    /// <summary>A read-only link to one scorecard for a TV: it opens <c>/wall?link=…</c> with no sign-in, until revoked.</summary>
    public static async Task<Created<TokenCreated>> CreateWallLinkAsync(CreateWallLinkRequest request, TokenAdmin admin, ApiCaller caller, TimeProvider time, HttpContext context)
    {
        var issued = await admin.CreateWallLinkAsync(caller.Actor, request.Name, request.Scope, request.ExpiresAt);
        var url = $"{context.Request.Scheme}://{context.Request.Host}/wall?link={Uri.EscapeDataString(issued.Token)}";
        return TypedResults.Created($"/api/wall-links/{issued.Info.Id}", new TokenCreated(TokenView.Of(issued.Info, time.GetUtcNow()), issued.Token, url));
    }

    public static Task<Ok<TokenView>> RevokeWallLinkAsync(string id, TokenAdmin admin, ApiCaller caller, TimeProvider time) =>
        RevokeTokenAsync(id, admin, caller, time);

    // ---- Accounts ----------------------------------------------------------------------------------------------

    public static async Task<Ok<ImmutableArray<UserView>>> ListUsersAsync(AccountAdmin accounts, ApiCaller caller) =>
        TypedResults.Ok((await accounts.ListAsync(caller.Actor)).ToImmutableArray());

    public static async Task<Ok<UserView>> GetUserAsync(string userId, AccountAdmin accounts, ApiCaller caller) =>
        TypedResults.Ok(await accounts.GetAsync(caller.Actor, userId));

    public static async Task<Created<UserView>> CreateUserAsync(CreateUserRequest request, AccountAdmin accounts, ApiCaller caller)
    {
        var user = await accounts.CreateAsync(caller.Actor, new NewUser(Require.Object(request.UserName, "userName"),
            request.DisplayName ?? request.UserName!, request.Email, request.Password, Require.Value(request.Role, "role"), request.PersonId));
        return TypedResults.Created($"/api/users/{user.Id}", user);
    }

    public static async Task<Ok<UserView>> EditUserAsync(string userId, EditUserRequest request, AccountAdmin accounts, ApiCaller caller) =>
        TypedResults.Ok(await accounts.ChangeAsync(caller.Actor, userId, new UserChange(request.DisplayName, request.Email, request.Role,
            request.PersonId is { Length: > 0 } person ? person : null, request.PersonId is "", request.Disabled, request.Password)));

    // ---- Audit -------------------------------------------------------------------------------------------------

    /// <summary>
    /// The audit trail, newest first: by node (<c>nodeId</c>), by who (<c>actor</c>: an id such as "user:sofia-alvarez",
    /// or <c>personId</c>: every account of that person), by <c>action</c> (or its prefix, "keyResult."), by time
    /// (<c>from</c>, <c>to</c>), by cycle (<c>cycleId</c>); <c>limit</c> up to 500, <c>cursor</c> the <c>next</c> of the previous page.
    /// </summary>
    public static async Task<Ok<AuditPage>> ReadAuditAsync(string? nodeId, string? actor, string? personId, string? action,
        DateTimeOffset? from, DateTimeOffset? to, string? cycleId, int? limit, string? cursor, AuditQueries audit, UserStore users, CancellationToken ct)
    {
        var actors = new List<string>();
        if (actor is not null) actors.Add(actor);
        if (personId is not null)
        {
            var mapped = (await users.ListAsync(ct)).Where(u => u.User.PersonId == personId).Select(u => $"user:{u.User.Id}").ToList();
            actors.AddRange(mapped.Count > 0 ? mapped : [$"user:{personId}"]);
        }
        if (from is { } f && to is { } t && t <= f) throw OkrRejectedException.Invalid("to", "must be after from.");
        return TypedResults.Ok(await audit.ReadAsync(new AuditFilter(nodeId, actor is null && personId is null ? null : actors, action,
            from, to, limit ?? 100, cursor, cycleId), ct));
    }

    /// <summary>What happened to one objective, key result or KPI, newest first — the "activity" of its page.</summary>
    public static async Task<Ok<AuditPage>> ReadActivityAsync(string nodeId, int? limit, string? cursor, AuditQueries audit, CancellationToken ct) =>
        TypedResults.Ok(await audit.ReadAsync(new AuditFilter(nodeId, Limit: limit ?? 50, Cursor: cursor), ct));

    private static ImmutableArray<TokenView> Views(IEnumerable<TokenInfo> tokens, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return [.. tokens.Select(t => TokenView.Of(t, now))];
    }
}

/// <summary>A demo person's token, for trying the API with curl on the demo.</summary>
public sealed record DemoTokenRequest(string? UserId);

/// <summary>
/// Only on a demo database (where anyone may sign in as anyone): a one-day personal token for one of the demo's
/// people, without a password — what the README's curl examples use. Elsewhere it does not exist (404).
/// </summary>
public static class DemoApi
{
    public static IEndpointRouteBuilder MapDemoApi(this IEndpointRouteBuilder api)
    {
        api.MapPost("/demo/tokens", CreateDemoTokenAsync).WithTags("Demo").WithName("CreateDemoToken").AllowAnonymous();
        return api;
    }

    public static async Task<Results<Created<TokenCreated>, NotFound<ProblemDetails>>> CreateDemoTokenAsync(
        DemoTokenRequest request, DatabaseMode mode, UserDirectory users, TokenAdmin tokens, ActorResolver actors, TimeProvider time, CancellationToken ct)
    {
        if (!mode.IsDemo)
            return TypedResults.NotFound(new ProblemDetails { Status = 404, Title = "Not found", Detail = "There is no demo here." });
        var userId = Require.Object(request.UserId, "userId");
        var user = await users.GetAsync(userId, ct) ?? throw OkrRejectedException.NotFound("userId", userId);
        var principal = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new(OkrClaims.Kind, OkrClaims.KindUser), new(OkrClaims.UserId, user.Id)], "demo"));
        var actor = (await actors.ResolveAsync(principal, "demo", ct))!;
        var issued = await tokens.CreatePersonalAsync(actor, "demo token", Permissions.MaxScope(user.Role), time.GetUtcNow().AddDays(1), ct);
        return TypedResults.Created($"/api/tokens/{issued.Info.Id}", new TokenCreated(TokenView.Of(issued.Info, time.GetUtcNow()), issued.Token, null));
    }
}
