namespace OkrGrid.Web.Apis;

/// <summary>A new person: a slug id, a name, and their team.</summary>
public sealed record CreatePersonRequest(string? Id, string? Name, string? TeamId);

public static class PeopleApi
{
    public static RouteGroupBuilder MapPeopleApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/people").WithTags("People").WithOkrProblems();
        api.MapGet("/", ListPeopleAsync).WithName("ListPeople");
        api.MapGet("/{personId}", GetPersonAsync).WithName("GetPerson");
        api.MapPost("/", CreatePersonAsync).WithName("CreatePerson").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<ImmutableArray<Person>>> ListPeopleAsync(IGrainFactory grains) =>
        TypedResults.Ok((await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync()).People);

    public static async Task<Ok<Person>> GetPersonAsync(string personId, IGrainFactory grains)
    {
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        return TypedResults.Ok(organisation.People.FirstOrDefault(p => p.Id == personId) ?? throw OkrRejectedException.NotFound("personId", personId));
    }

    public static async Task<Created<Person>> CreatePersonAsync(CreatePersonRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var person = await grains.GetGrain<IOrganisationGrain>(Company.Id).AddPersonAsync(
            Require.Object(request.Id, "id"), Require.Object(request.Name, "name"), Require.Object(request.TeamId, "teamId"), caller.Actor);
        return TypedResults.Created($"/api/people/{person.Id}", person);
    }
}
