namespace OkrGrid.Web.Components;

/// <summary>
/// The commands the dashboards send to the engine, as the signed-in person. A seam so that the forms can be rendered
/// and tested without a cluster; in the app it goes straight to the grains with the page's actor.
/// </summary>
public interface IOkrCommands
{
    /// <summary>Durable when it returns; a retry with the same client id is applied once.</summary>
    Task<CheckInResult> CheckInAsync(string keyResultId, CheckIn checkIn);

    /// <summary>Adds objectives, key results and edges to a cycle all-or-nothing.</summary>
    Task ImportAsync(string cycleId, ImmutableArray<ObjectiveDefinition> objectives,
        ImmutableArray<KeyResultDefinition> keyResults, ImmutableArray<Edge> edges);

    /// <summary>Who would check in (the author the engine will record), and why they may not on a key result with this owner.</summary>
    Task<CheckInPermission> CheckInPermissionAsync(Owner keyResultOwner);
}

/// <param name="Author">The signed-in person's name: the check-in's author.</param>
/// <param name="Refusal">Null when they may check in; else who may, in a sentence.</param>
public sealed record CheckInPermission(string? Author, string? Refusal);

public sealed class GrainCommands(IGrainFactory grains, OkrGrid.Web.Access.CurrentUser user, OkrGrid.Web.Live.LiveBoard board) : IOkrCommands
{
    public async Task<CheckInPermission> CheckInPermissionAsync(Owner keyResultOwner)
    {
        if (await user.ActorAsync() is not { } actor) return new CheckInPermission(null, "Sign in to check in.");
        var org = await board.GetOrganisationAsync();
        string? TeamOf(string personId) => org.People.FirstOrDefault(p => p.Id == personId)?.TeamId;
        if (OkrGrid.Access.Permissions.MayCheckIn(actor, keyResultOwner, TeamOf)) return new CheckInPermission(actor.Name, null);
        var names = new OkrGrid.Domain.Views.OwnerNames(org);
        var who = keyResultOwner.Kind switch
        {
            OwnerKind.Person => $"{names.Of(keyResultOwner)}, who owns it, and the leads of {TeamName(org, TeamOf(keyResultOwner.Id))}",
            OwnerKind.Team => $"the members and leads of {names.Of(keyResultOwner)}",
            _ => "admins",
        };
        var you = actor.Role == OkrGrid.Access.Role.Viewer ? "you can read but not change anything (viewer)" : $"you are a {OkrGrid.Web.Access.Roles.Describe(actor.Role)}{(actor.TeamId is { } t ? $" of {TeamName(org, t)}" : "")}";
        return new CheckInPermission(actor.Name, $"Only {who} can check in on this key result; {you}.");
    }

    private static string TeamName(OrganisationView org, string? teamId) => org.Teams.FirstOrDefault(t => t.Id == teamId)?.Name ?? "its team";

    public async Task<CheckInResult> CheckInAsync(string keyResultId, CheckIn checkIn) =>
        await grains.GetGrain<IKeyResultGrain>(keyResultId).CheckInAsync(checkIn, await user.RequireActorAsync());

    public async Task ImportAsync(string cycleId, ImmutableArray<ObjectiveDefinition> objectives,
        ImmutableArray<KeyResultDefinition> keyResults, ImmutableArray<Edge> edges) =>
        await grains.GetGrain<ICycleGrain>(cycleId).ImportAsync(objectives, keyResults, edges, await user.RequireActorAsync());
}
