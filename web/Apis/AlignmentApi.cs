using OkrGrid.Domain.Views;
using OkrGrid.Views;

namespace OkrGrid.Web.Apis;

/// <summary>A cycle's alignment tree, with the cycle it is of (the current one when none was asked for).</summary>
public sealed record AlignmentResponse(CycleInfo Cycle, AlignmentFilter Filter, ImmutableArray<AlignmentNode> Roots);

public static class AlignmentApi
{
    public static RouteGroupBuilder MapAlignmentApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/alignment").WithTags("Alignment").WithOkrProblems();
        api.MapGet("/", GetAlignmentAsync).WithName("GetAlignment");
        return api;
    }

    /// <summary>
    /// The alignment tree of a cycle (the current one when left out): company objectives down to key results, each
    /// with its score. <c>teamId</c> keeps what the team, its sub-teams and members own; <c>status</c> (onTrack,
    /// atRisk, offTrack, noData) keeps nodes with that status; both keep the ancestors leading to what they keep.
    /// <c>at</c> gives the tree as it was at that instant (see the cycle snapshot).
    /// </summary>
    public static async Task<Ok<AlignmentResponse>> GetAlignmentAsync(string? cycleId, string? teamId, string? status, string? at,
        IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock)
    {
        var filter = new AlignmentFilter(string.IsNullOrWhiteSpace(teamId) ? null : teamId, Require.EnumQuery<Status>(status, "status"));
        var instant = Require.InstantQuery(at, "at");
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        var cycle = grains.GetGrain<ICycleGrain>(await grains.CycleOrCurrentAsync(clock, cycleId));
        var snapshot = instant is { } t ? await cycle.GetSnapshotAtAsync(t) : await cycle.GetSnapshotAsync();
        return TypedResults.Ok(new AlignmentResponse(snapshot.Cycle, filter, AlignmentTree.Build(snapshot, organisation, filter)));
    }
}
