namespace OkrGrid.Web.Apis;

public static class OrganisationApi
{
    public static RouteGroupBuilder MapOrganisationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/organisation").WithTags("Organisation").WithOkrProblems();
        api.MapGet("/", GetOrganisationAsync).WithName("GetOrganisation");
        return api;
    }

    /// <summary>The company: teams, people, scoring policy, cycles and KPI catalogue.</summary>
    public static async Task<Ok<OrganisationView>> GetOrganisationAsync(IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync());
}
