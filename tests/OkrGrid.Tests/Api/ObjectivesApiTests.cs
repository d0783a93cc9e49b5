using System.Net;
using OkrGrid.Web.Apis;

namespace OkrGrid.Tests.Api;

/// <summary>Objectives through the API: create, list, edit, align, weigh, delete — and every refusal.</summary>
[Collection(ApiCollection.Name)]
public sealed class ObjectivesApiTests(ApiHost host) : ApiTestBase(host)
{
    [Fact]
    public async Task ObjectiveIsCreatedReadListedAndEdited()
    {
        var parent = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var local = NewId("o");
        var created = await CreateAsync<ObjectiveDefinition>("/api/objectives",
            new
            {
                cycleId = ApiHost.CycleId, id = local, title = " Ship faster ", description = "Why it matters", owner = TeamOwner("platform"),
                rollUp = "keyResultsOnly", parents = new[] { Parent(parent.Id, 2) }
            },
            $"/api/objectives/{Node(local)}");
        Assert.Equal(new ObjectiveDefinition(Node(local), ApiHost.CycleId, "Ship faster", "Why it matters", new Owner(OwnerKind.Team, "platform"), RollUpMode.KeyResultsOnly), created);

        var view = await GetAsync<ObjectiveView>($"/api/objectives/{created.Id}");
        Assert.Equal(created, view.Definition);
        Assert.Equal([parent.Id], view.Parents);
        var parentView = await GetAsync<ObjectiveView>($"/api/objectives/{parent.Id}");
        Assert.Equal(new ChildLink(created.Id, NodeKind.Objective, 2, "Ship faster"), Assert.Single(parentView.Children).Link);

        var edited = await ExpectAsync<ObjectiveDefinition>(HttpStatusCode.OK, HttpMethod.Patch, $"/api/objectives/{created.Id}",
            new { title = "Ship much faster", owner = PersonOwner("ana"), rollUp = "keyResultsAndObjectives" });
        Assert.Equal(created with { Title = "Ship much faster", Owner = new Owner(OwnerKind.Person, "ana"), RollUp = RollUpMode.KeyResultsAndObjectives }, edited);
        Assert.Equal(edited, (await GetAsync<ObjectiveView>($"/api/objectives/{created.Id}")).Definition);
        // The parent shows its child's new title.
        Assert.Equal("Ship much faster", Assert.Single((await GetAsync<ObjectiveView>($"/api/objectives/{parent.Id}")).Children).Link.Title);

        var all = await GetAsync<ImmutableArray<ObjectiveListItem>>($"/api/objectives?cycleId={ApiHost.CycleId}");
        var item = Assert.Single(all, o => o.Definition.Id == created.Id);
        Assert.Equal([parent.Id], item.ParentIds);
        Assert.Equal(all.Select(o => o.Definition.Id).Order(StringComparer.Ordinal), all.Select(o => o.Definition.Id));
        // Ana is in platform, inside eng; not in sales.
        Assert.Contains(await GetAsync<ImmutableArray<ObjectiveListItem>>("/api/objectives?owner=person:ana"), o => o.Definition.Id == created.Id);
        Assert.Contains(await GetAsync<ImmutableArray<ObjectiveListItem>>("/api/objectives?teamId=eng"), o => o.Definition.Id == created.Id);
        Assert.DoesNotContain(await GetAsync<ImmutableArray<ObjectiveListItem>>("/api/objectives?teamId=sales"), o => o.Definition.Id == created.Id);
        var company = await GetAsync<ImmutableArray<ObjectiveListItem>>("/api/objectives?owner=company");
        Assert.Contains(company, o => o.Definition.Id == parent.Id);
        Assert.All(company, o => Assert.Equal(OwnerKind.Company, o.Definition.Owner.Kind));
    }

    [Fact]
    public async Task BadObjectivesAreRefused()
    {
        var existing = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var later = await CreateObjectiveAsync(NewId("o"), CompanyOwner, cycleId: ApiHost.NextCycleId);
        object Draft(object? owner = null, object? parents = null, string? title = "T", string cycleId = ApiHost.CycleId, string? id = null, string rollUp = "keyResultsOnly") =>
            new { cycleId, title, owner = owner ?? CompanyOwner, parents = parents ?? Array.Empty<object>(), id, rollUp };

        await RefusedAsync(HttpStatusCode.BadRequest, "title", "is required", HttpMethod.Post, "/api/objectives", Draft(title: null));
        await RefusedAsync(HttpStatusCode.BadRequest, "title", "must not be empty", HttpMethod.Post, "/api/objectives", Draft(title: " \t "));
        await RefusedAsync(HttpStatusCode.BadRequest, "title", "at most 200", HttpMethod.Post, "/api/objectives", Draft(title: new string('x', 201)));
        await RefusedAsync(HttpStatusCode.BadRequest, "owner", "is required", HttpMethod.Post, "/api/objectives", new { cycleId = ApiHost.CycleId, title = "T" });
        await RefusedAsync(HttpStatusCode.BadRequest, "owner.kind", "is required", HttpMethod.Post, "/api/objectives", Draft(owner: new { id = "ana" }));
        await RefusedAsync(HttpStatusCode.BadRequest, "owner.id", "is required", HttpMethod.Post, "/api/objectives", Draft(owner: new { kind = "team" }));
        await RefusedAsync(HttpStatusCode.BadRequest, "owner.kind", "company, team, person", HttpMethod.Post, "/api/objectives", Draft(owner: new { kind = "robot", id = "r2" }));
        await RefusedAsync(HttpStatusCode.NotFound, "owner", "'person:nobody' does not exist", HttpMethod.Post, "/api/objectives", Draft(owner: PersonOwner("nobody")));
        await RefusedAsync(HttpStatusCode.BadRequest, "cycleId", "is required", HttpMethod.Post, "/api/objectives", new { title = "T", owner = CompanyOwner });
        await RefusedAsync(HttpStatusCode.NotFound, "cycleId", "'nope' does not exist", HttpMethod.Post, "/api/objectives", Draft(cycleId: "nope"));
        await RefusedAsync(HttpStatusCode.BadRequest, "rollUp", "keyResultsAndObjectives, keyResultsOnly, objectivesOnly", HttpMethod.Post, "/api/objectives", Draft(rollUp: "everything"));
        await RefusedAsync(HttpStatusCode.Conflict, "id", "already exists", HttpMethod.Post, "/api/objectives", Draft(id: existing.Id[(ApiHost.CycleId.Length + 1)..]));
        await RefusedAsync(HttpStatusCode.NotFound, "parents[0].parentId", "does not exist", HttpMethod.Post, "/api/objectives", Draft(parents: new[] { Parent(Node("nope")) }));
        await RefusedAsync(HttpStatusCode.BadRequest, "parents[0].parentId", "belongs to cycle", HttpMethod.Post, "/api/objectives", Draft(parents: new[] { Parent(later.Id) }));
        await RefusedAsync(HttpStatusCode.BadRequest, "parents[1].parentId", "listed twice", HttpMethod.Post, "/api/objectives", Draft(parents: new[] { Parent(existing.Id), Parent(existing.Id) }));
        await RefusedAsync(HttpStatusCode.BadRequest, "parents[0].weight", "must not be negative", HttpMethod.Post, "/api/objectives", Draft(parents: new[] { Parent(existing.Id, -1) }));
        await RefusedAsync(HttpStatusCode.BadRequest, "parents[0].weight", "at most 1000", HttpMethod.Post, "/api/objectives", Draft(parents: new[] { Parent(existing.Id, 1e6) }));
        await RefusedAsync(HttpStatusCode.BadRequest, "parents[0].parentId", "is required", HttpMethod.Post, "/api/objectives", Draft(parents: new[] { new { weight = 1 } }));

        await RefusedAsync(HttpStatusCode.BadRequest, "title", "must not be empty", HttpMethod.Patch, $"/api/objectives/{existing.Id}", new { title = "" });
        await RefusedAsync(HttpStatusCode.NotFound, "owner", "does not exist", HttpMethod.Patch, $"/api/objectives/{existing.Id}", new { owner = TeamOwner("nope") });
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Patch, $"/api/objectives/{Node("nope")}", new { title = "X" });
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Patch, "/api/objectives/no-cycle-in-this-id", new { title = "X" });
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Patch, "/api/objectives/nocycle:x", new { title = "X" });
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Get, $"/api/objectives/{Node("nope")}");

        await RefusedAsync(HttpStatusCode.BadRequest, "owner", "must be team:{id}", HttpMethod.Get, "/api/objectives?owner=team");
        await RefusedAsync(HttpStatusCode.BadRequest, "owner", "is not one of", HttpMethod.Get, "/api/objectives?owner=robot:r2");
        await RefusedAsync(HttpStatusCode.NotFound, "owner", "does not exist", HttpMethod.Get, "/api/objectives?owner=team:nope");
        await RefusedAsync(HttpStatusCode.NotFound, "teamId", "does not exist", HttpMethod.Get, "/api/objectives?teamId=nope");
        await RefusedAsync(HttpStatusCode.NotFound, "cycleId", "does not exist", HttpMethod.Get, "/api/objectives?cycleId=nope");
    }

    [Fact]
    public async Task AlignmentIsReplacedAndLoopsSelfAndCrossCycleParentsAreRefused()
    {
        // a ← b ← c, and x on its own.
        var a = await CreateObjectiveAsync(NewId("a"), CompanyOwner);
        var b = await CreateObjectiveAsync(NewId("b"), TeamOwner("eng"), [Parent(a.Id)]);
        var c = await CreateObjectiveAsync(NewId("c"), TeamOwner("platform"), [Parent(b.Id)]);
        var x = await CreateObjectiveAsync(NewId("x"), CompanyOwner);
        var later = await CreateObjectiveAsync(NewId("l"), CompanyOwner, cycleId: ApiHost.NextCycleId);

        await NoContentAsync(HttpMethod.Put, $"/api/objectives/{c.Id}/parents", new { parents = new[] { Parent(b.Id), Parent(x.Id, 3) } });
        Assert.Equal([b.Id, x.Id], (await GetAsync<ObjectiveView>($"/api/objectives/{c.Id}")).Parents.Order());
        Assert.Equal(3, Assert.Single((await GetAsync<ObjectiveView>($"/api/objectives/{x.Id}")).Children).Link.Weight);

        await RefusedAsync(HttpStatusCode.Conflict, "parents[0].parentId", "would make a loop", HttpMethod.Put, $"/api/objectives/{a.Id}/parents", new { parents = new[] { Parent(c.Id) } });
        await RefusedAsync(HttpStatusCode.Conflict, "parents[1].parentId", "would make a loop", HttpMethod.Put, $"/api/objectives/{b.Id}/parents", new { parents = new[] { Parent(a.Id), Parent(c.Id) } });
        await RefusedAsync(HttpStatusCode.BadRequest, "parents[0].parentId", "cannot align to itself", HttpMethod.Put, $"/api/objectives/{b.Id}/parents", new { parents = new[] { Parent(b.Id) } });
        await RefusedAsync(HttpStatusCode.BadRequest, "parents[0].parentId", "belongs to cycle", HttpMethod.Put, $"/api/objectives/{b.Id}/parents", new { parents = new[] { Parent(later.Id) } });
        await RefusedAsync(HttpStatusCode.BadRequest, "parents", "is required", HttpMethod.Put, $"/api/objectives/{b.Id}/parents", new { });
        await RefusedAsync(HttpStatusCode.BadRequest, "parents[0]", "must not be null", HttpMethod.Put, $"/api/objectives/{b.Id}/parents", """{"parents": [null]}""");
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Put, $"/api/objectives/{Node("nope")}/parents", new { parents = Array.Empty<object>() });

        // An empty list aligns it to nothing.
        await NoContentAsync(HttpMethod.Put, $"/api/objectives/{c.Id}/parents", new { parents = Array.Empty<object>() });
        Assert.Empty((await GetAsync<ObjectiveView>($"/api/objectives/{c.Id}")).Parents);
    }

    [Fact]
    public async Task ChildWeightsChangeTheRollUp()
    {
        var objective = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var k1 = await CreateKeyResultAsync(NewId("k"), objective.Id);
        var k2 = await CreateKeyResultAsync(NewId("k"), objective.Id);
        await CheckInAsync(k1.Id, 80);
        await CheckInAsync(k2.Id, 20);
        await ObjectiveSettledAsync(objective.Id, 0.5); // (0.8 + 0.2) / 2

        await NoContentAsync(HttpMethod.Put, $"/api/objectives/{objective.Id}/children/{k1.Id}/weight", new { weight = 3 });
        await ObjectiveSettledAsync(objective.Id, (3 * 0.8 + 0.2) / 4); // 0.65

        await RefusedAsync(HttpStatusCode.BadRequest, "weight", "must not be negative", HttpMethod.Put, $"/api/objectives/{objective.Id}/children/{k1.Id}/weight", new { weight = -2 });
        await RefusedAsync(HttpStatusCode.BadRequest, "weight", "is required", HttpMethod.Put, $"/api/objectives/{objective.Id}/children/{k1.Id}/weight", new { });
        await RefusedAsync(HttpStatusCode.BadRequest, "weight", "must be a number (got NaN)", HttpMethod.Put, $"/api/objectives/{objective.Id}/children/{k1.Id}/weight", """{"weight": "NaN"}""");
        await RefusedAsync(HttpStatusCode.NotFound, "childId", "does not exist", HttpMethod.Put, $"/api/objectives/{objective.Id}/children/{Node("nope")}/weight", new { weight = 1 });
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Put, $"/api/objectives/bad-id/children/{k1.Id}/weight", new { weight = 1 });
    }

    [Fact]
    public async Task DeletingAnObjectiveWithChildrenNeedsDetachChildren()
    {
        var parent = await CreateObjectiveAsync(NewId("o"), CompanyOwner);
        var child = await CreateObjectiveAsync(NewId("o"), TeamOwner("eng"), [Parent(parent.Id)]);
        var kr = await CreateKeyResultAsync(NewId("k"), parent.Id);

        await RefusedAsync(HttpStatusCode.Conflict, "detachChildren", "still has 2 child(ren)", HttpMethod.Delete, $"/api/objectives/{parent.Id}");
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Delete, $"/api/objectives/{kr.Id}"); // a key result, not an objective
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Delete, $"/api/objectives/{Node("nope")}");
        await RefusedAsync(HttpStatusCode.BadRequest, "detachChildren", "not a valid boolean", HttpMethod.Delete, $"/api/objectives/{parent.Id}?detachChildren=perhaps");

        await NoContentAsync(HttpMethod.Delete, $"/api/objectives/{parent.Id}?detachChildren=true");
        await RefusedAsync(HttpStatusCode.NotFound, "objectiveId", "does not exist", HttpMethod.Get, $"/api/objectives/{parent.Id}");
        Assert.Empty((await GetAsync<ObjectiveView>($"/api/objectives/{child.Id}")).Parents);
        Assert.Null((await GetAsync<KeyResultView>($"/api/key-results/{kr.Id}")).ObjectiveId);

        await NoContentAsync(HttpMethod.Delete, $"/api/objectives/{child.Id}"); // no children: no flag needed
        Assert.DoesNotContain((await GetAsync<CycleSnapshot>($"/api/cycles/{ApiHost.CycleId}/snapshot")).Objectives, o => o.Id == child.Id);
    }
}
