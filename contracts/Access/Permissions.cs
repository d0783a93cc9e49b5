using OkrGrid.Model;

namespace OkrGrid.Access;

/// <summary>What an actor may do to what, by the owner of the thing it changes. Pure; the grains call it inside
/// the same turn that validates and writes the change, so a permission and the change it allows are one decision.</summary>
public static class Permissions
{
    /// <summary>
    /// May the actor create, edit, delete, re-align or move an objective or key result with this owner (and create
    /// or delete a KPI with it)? Admin: anything. Lead: their own, their led teams', and their led teams' people's.
    /// Member: their own. Viewer: nothing. <paramref name="teamOf"/> gives a person's team (only asked for a lead and
    /// another person's node).
    /// </summary>
    public static bool MayChange(Actor actor, Owner owner, Func<string, string?> teamOf)
    {
        if (actor.Scope < AccessScope.Write) return false;
        return actor.Role switch
        {
            Role.Admin => true,
            Role.Lead => IsSelf(actor, owner) || LeadCovers(actor, owner, teamOf),
            Role.Member => IsSelf(actor, owner),
            _ => false,
        };
    }

    /// <summary>
    /// May the actor check in on a key result (or record a KPI measurement) with this owner? Admin: any. Lead: as for
    /// changes. Member: one they own, or one their team owns. Viewer: none.
    /// </summary>
    public static bool MayCheckIn(Actor actor, Owner owner, Func<string, string?> teamOf)
    {
        if (actor.Scope < AccessScope.CheckIn) return false;
        return actor.Role switch
        {
            Role.Admin => true,
            Role.Lead => IsSelf(actor, owner) || LeadCovers(actor, owner, teamOf),
            Role.Member => IsSelf(actor, owner) || owner.Kind == OwnerKind.Team && owner.Id == actor.TeamId,
            _ => false,
        };
    }

    /// <summary>Cycles, teams, people, the policy, accounts, service tokens: admins (with an admin scope) only.</summary>
    public static bool MayAdminister(Actor actor) => actor.Role == Role.Admin && actor.Scope == AccessScope.Admin;

    /// <summary>Scenarios: leads and admins plan; a scenario is changed by whoever created it, or an admin.</summary>
    public static bool MayPlan(Actor actor) => actor.Role >= Role.Lead && actor.Scope >= AccessScope.Write;

    public static bool MayEditScenario(Actor actor, string scenarioAuthorId) =>
        MayPlan(actor) && (actor.Role == Role.Admin || actor.Id == scenarioAuthorId);

    /// <summary>A wall link for a scorecard: admins for any; leads for their led teams'.</summary>
    public static bool MayShareWall(Actor actor, string? teamId) =>
        actor.Scope == AccessScope.Admin && (actor.Role == Role.Admin || actor.Role == Role.Lead && actor.Leads(teamId));

    /// <summary>The highest scope a token of this role can carry (a token never exceeds its owner).</summary>
    public static AccessScope MaxScope(Role role) => role switch
    {
        Role.Admin => AccessScope.Admin,
        Role.Lead or Role.Member => AccessScope.Write,
        _ => AccessScope.Read,
    };

    /// <summary>"Sofia Álvarez (team lead) may not change an objective owned by team Mobile." — the reason of a refusal.</summary>
    public static string Describe(Owner owner) => owner.Kind switch
    {
        OwnerKind.Company => "the company",
        OwnerKind.Team => $"team '{owner.Id}'",
        _ => $"person '{owner.Id}'",
    };

    private static bool IsSelf(Actor actor, Owner owner) =>
        owner.Kind == OwnerKind.Person && actor.PersonId is not null && owner.Id == actor.PersonId;

    private static bool LeadCovers(Actor actor, Owner owner, Func<string, string?> teamOf) => owner.Kind switch
    {
        OwnerKind.Team => actor.Leads(owner.Id),
        OwnerKind.Person => actor.Leads(teamOf(owner.Id)),
        _ => false,
    };
}
