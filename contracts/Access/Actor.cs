namespace OkrGrid.Access;

/// <summary>
/// What a principal may do, in the order OKR tools use (Perdoo: view-only / standard / admin; Lattice: people set
/// their own, department heads their department's). Each role includes the ones below it.
/// </summary>
[Alias("okr.access.role")]
public enum Role
{
    /// <summary>Reads everything of the company; changes nothing.</summary>
    Viewer = 0,

    /// <summary>Their own objectives and key results; check-ins on key results they own or that their team owns.</summary>
    Member = 1,

    /// <summary>Their team's and its sub-teams' objectives and key results (and their people's); scenarios over them.</summary>
    Lead = 2,

    /// <summary>Everything: company objectives, cycles, people, teams, accounts, tokens.</summary>
    Admin = 3,
}

/// <summary>What an API token may be used for; each scope includes the ones below it. A session has <see cref="Admin"/>: its role bounds it.</summary>
[Alias("okr.access.access-scope")]
public enum AccessScope
{
    /// <summary>Reads (GET) and hub subscriptions.</summary>
    Read = 0,

    /// <summary>Also check-ins and KPI measurements.</summary>
    CheckIn = 1,

    /// <summary>Also structure: objectives, key results, KPIs, scenarios.</summary>
    Write = 2,

    /// <summary>Also cycles, teams, people, accounts, tokens, wall links and the audit trail.</summary>
    Admin = 3,
}

/// <summary>
/// Who asks the engine for a change, and through what: a signed-in person (in a page or with a personal token), a
/// service token, the demo's activity, or the system itself (seeding, imports by the operator). Grains check it
/// against the owner of what changes (<see cref="Permissions"/>) and write it into the audit trail.
/// </summary>
/// <param name="Id">Stable id written into the audit: "user:{userId}", "service:{tokenId}", "demo", "system".</param>
/// <param name="Name">Shown as the author, e.g. "Sofia Álvarez" or "CI pipeline (service token)".</param>
/// <param name="Via">Through what: "page", "api", "token:{tokenId}", "demo", "system".</param>
/// <param name="PersonId">The person of the organisation this principal is, if any.</param>
/// <param name="TeamId">The team the principal belongs to (a member's team; a lead's own team; a service token's team).</param>
/// <param name="LedTeams">A lead's team and every team below it; empty for other roles.</param>
[GenerateSerializer, Immutable, Alias("okr.access.actor")]
public sealed record Actor(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Via,
    [property: Id(3)] Role Role,
    [property: Id(4)] AccessScope Scope,
    [property: Id(5)] string? PersonId = null,
    [property: Id(6)] string? TeamId = null,
    [property: Id(7)] ImmutableArray<string> LedTeams = default)
{
    /// <summary>The engine itself (seeding, migrations, the operator's bulk imports): may do anything.</summary>
    public static Actor System { get; } = new("system", "OkrGrid", "system", Role.Admin, AccessScope.Admin);

    /// <summary>The demo's simulated activity (a demo database only).</summary>
    public static Actor DemoActivity { get; } = new("demo", "Demo activity", "demo", Role.Admin, AccessScope.Admin);

    public bool Leads(string? teamId) => teamId is not null && !LedTeams.IsDefaultOrEmpty && LedTeams.Contains(teamId);
}
