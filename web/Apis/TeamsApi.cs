namespace OkrGrid.Web.Apis;

/// <summary>A new team: a slug id, a name, and optionally the team it belongs to.</summary>
public sealed record CreateTeamRequest(string? Id, string? Name, string? ParentTeamId = null);

/// <summary>A team with its direct members and direct sub-teams.</summary>
public sealed record TeamDetails(Team Team, ImmutableArray<Person> Members, ImmutableArray<Team> SubTeams);

public static class TeamsApi
{
    public static RouteGroupBuilder MapTeamsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/teams").WithTags("Teams").WithOkrProblems();
        api.MapGet("/", ListTeamsAsync).WithName("ListTeams");
        api.MapGet("/{teamId}", GetTeamAsync).WithName("GetTeam");
        api.MapPost("/", CreateTeamAsync).WithName("CreateTeam").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<ImmutableArray<Team>>> ListTeamsAsync(IGrainFactory grains) =>
        TypedResults.Ok((await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync()).Teams);

    public static async Task<Ok<TeamDetails>> GetTeamAsync(string teamId, IGrainFactory grains)
    {
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        var team = organisation.Teams.FirstOrDefault(t => t.Id == teamId) ?? throw OkrRejectedException.NotFound("teamId", teamId);
        return TypedResults.Ok(new TeamDetails(team,
            [.. organisation.People.Where(p => p.TeamId == teamId)],
            [.. organisation.Teams.Where(t => t.ParentTeamId == teamId)]));
    }

    public static async Task<Created<Team>> CreateTeamAsync(CreateTeamRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var team = await grains.GetGrain<IOrganisationGrain>(Company.Id).AddTeamAsync(
            Require.Object(request.Id, "id"), Require.Object(request.Name, "name"), request.ParentTeamId, caller.Actor);
        return TypedResults.Created($"/api/teams/{team.Id}", team);
    }
}
