using OkrGrid.Domain.Views;

namespace OkrGrid.Web.Apis;

/// <summary>A new objective in a cycle; <see cref="Id"/> (a slug, local to the cycle) is generated when left out.</summary>
public sealed record CreateObjectiveRequest(
    string? CycleId,
    string? Title,
    OwnerRequest? Owner,
    string? Description = null,
    RollUpMode? RollUp = null,
    IReadOnlyList<ParentLinkRequest?>? Parents = null,
    string? Id = null);

/// <summary>An edit of an objective's own fields; a field left out stays as it is.</summary>
public sealed record EditObjectiveRequest(string? Title = null, string? Description = null, OwnerRequest? Owner = null, RollUpMode? RollUp = null);

/// <summary>An objective's new parents (all of them; an empty list aligns it to nothing).</summary>
public sealed record AlignRequest(IReadOnlyList<ParentLinkRequest?>? Parents);

/// <summary>An objective in a cycle's list, with its current score and parents.</summary>
public sealed record ObjectiveListItem(ObjectiveDefinition Definition, NodeScore? Score, ImmutableArray<string> ParentIds);

public static class ObjectivesApi
{
    public static RouteGroupBuilder MapObjectivesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/objectives").WithTags("Objectives").WithOkrProblems();
        // Ids are "{cycleId}:{local}"; the colon needs no escaping in a path segment (%3A works too).
        api.MapGet("/", ListObjectivesAsync).WithName("ListObjectives");
        api.MapGet("/{id}", GetObjectiveAsync).WithName("GetObjective");
        api.MapPost("/", CreateObjectiveAsync).WithName("CreateObjective").RequireAuthorization(Policies.Write);
        api.MapPatch("/{id}", EditObjectiveAsync).WithName("EditObjective").RequireAuthorization(Policies.Write);
        api.MapDelete("/{id}", DeleteObjectiveAsync).WithName("DeleteObjective").RequireAuthorization(Policies.Write);
        api.MapPut("/{id}/parents", AlignObjectiveAsync).WithName("AlignObjective").RequireAuthorization(Policies.Write);
        api.MapPut("/{id}/children/{childId}/weight", SetChildWeightAsync).WithName("SetChildWeight").RequireAuthorization(Policies.Write);
        return api;
    }

    /// <summary>
    /// The objectives of a cycle (the current one when left out), by id. <c>owner</c> ("team:growth",
    /// "person:sofia" or "company") keeps that owner's; <c>teamId</c> keeps those owned by the team, its sub-teams
    /// or their members.
    /// </summary>
    public static async Task<Ok<ImmutableArray<ObjectiveListItem>>> ListObjectivesAsync(
        string? cycleId, string? owner, string? teamId, IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock)
    {
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        var ownerFilter = owner is null ? null : ParseOwner(owner, organisation);
        var teamOwners = teamId is null ? null : AlignmentTree.OwnersWithin(organisation, teamId);
        var snapshot = await grains.GetGrain<ICycleGrain>(await grains.CycleOrCurrentAsync(clock, cycleId)).GetSnapshotAsync();
        var parentsOf = snapshot.Edges.ToLookup(e => e.ChildId, e => e.ParentId);
        return TypedResults.Ok(snapshot.Objectives
            .Where(o => (ownerFilter is null || o.Owner == ownerFilter) && (teamOwners is null || teamOwners.Contains(o.Owner)))
            .OrderBy(o => o.Id, StringComparer.Ordinal)
            .Select(o => new ObjectiveListItem(o, snapshot.Scores.GetValueOrDefault(o.Id), [.. parentsOf[o.Id].Order(StringComparer.Ordinal)]))
            .ToImmutableArray());
    }

    /// <summary>An objective with its score, parents and children.</summary>
    public static async Task<Ok<ObjectiveView>> GetObjectiveAsync(string id, IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IObjectiveGrain>(id).GetViewAsync());

    public static async Task<Created<ObjectiveDefinition>> CreateObjectiveAsync(CreateObjectiveRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var cycleId = Require.Object(request.CycleId, "cycleId");
        var draft = new ObjectiveDraft(
            Require.Object(request.Title, "title"),
            Require.Object(request.Owner, "owner").ToOwner("owner"),
            request.Description ?? "",
            request.RollUp ?? RollUpMode.KeyResultsAndObjectives,
            request.Parents is null ? [] : Require.Parents(request.Parents),
            request.Id);
        var objective = await grains.GetGrain<ICycleGrain>(cycleId).CreateObjectiveAsync(draft, caller.Actor);
        return TypedResults.Created($"/api/objectives/{objective.Id}", objective);
    }

    public static async Task<Ok<ObjectiveDefinition>> EditObjectiveAsync(string id, EditObjectiveRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var edit = new ObjectiveEdit(request.Title, request.Description, request.Owner?.ToOwner("owner"), request.RollUp);
        return TypedResults.Ok(await grains.InCycleOfAsync("objectiveId", id, cycle => cycle.EditObjectiveAsync(id, edit, caller.Actor)));
    }

    /// <summary>
    /// Deletes an objective. One with children is refused (409) unless <c>detachChildren=true</c>, which leaves them
    /// aligned to nothing.
    /// </summary>
    public static async Task<NoContent> DeleteObjectiveAsync(string id, bool? detachChildren, IGrainFactory grains, ApiCaller caller)
    {
        await grains.InCycleOfAsync("objectiveId", id, async cycle =>
        {
            // The cycle deletes any node; this endpoint deletes objectives only.
            if (await cycle.GetObjectiveSetupAsync(id) is null) throw OkrRejectedException.NotFound("objectiveId", id);
            await cycle.DeleteAsync(id, detachChildren ?? false, caller.Actor);
        });
        return TypedResults.NoContent();
    }

    /// <summary>Replaces the objective's parents; loops, self-alignment and parents in other cycles are refused.</summary>
    public static async Task<NoContent> AlignObjectiveAsync(string id, AlignRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var parents = Require.Parents(Require.Object(request.Parents, "parents"));
        await grains.InCycleOfAsync("objectiveId", id, cycle => cycle.AlignObjectiveAsync(id, parents, caller.Actor));
        return TypedResults.NoContent();
    }

    /// <summary>Sets the weight a child (objective or key result) carries in this objective.</summary>
    public static async Task<NoContent> SetChildWeightAsync(string id, string childId, WeightRequest request, IGrainFactory grains, ApiCaller caller)
    {
        var weight = Require.Value(request.Weight, "weight");
        await grains.InCycleOfAsync("objectiveId", id, cycle => cycle.SetWeightAsync(id, childId, weight, caller.Actor));
        return TypedResults.NoContent();
    }

    /// <summary>"company", "company:{id}", "team:{id}" or "person:{id}", of an owner that exists.</summary>
    private static Owner ParseOwner(string value, OrganisationView organisation)
    {
        var colon = value.IndexOf(':');
        var kind = Require.EnumQuery<OwnerKind>(colon < 0 ? value : value[..colon], "owner")
            ?? throw OkrRejectedException.Invalid("owner", "must be company, team:{id} or person:{id}.");
        var id = colon < 0 ? null : value[(colon + 1)..];
        var owner = kind == OwnerKind.Company ? Owner.Company(id ?? organisation.CompanyId)
            : new Owner(kind, string.IsNullOrEmpty(id) ? throw OkrRejectedException.Invalid("owner", $"must be {JsonNames.Camel(kind.ToString())}:{{id}}.") : id);
        var exists = owner.Kind switch
        {
            OwnerKind.Company => owner.Id == organisation.CompanyId,
            OwnerKind.Team => organisation.Teams.Any(t => t.Id == owner.Id),
            _ => organisation.People.Any(p => p.Id == owner.Id),
        };
        return exists ? owner : throw OkrRejectedException.NotFound("owner", owner.ToString());
    }
}
