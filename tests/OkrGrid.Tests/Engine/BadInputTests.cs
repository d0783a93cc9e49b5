namespace OkrGrid.Tests.Engine;

/// <summary>Every bad input is refused with the field and a reason, and changes nothing.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private EngineCluster _c = null!;
    private ICycleGrain _cycle = null!;
    private ObjectiveDefinition _company = null!, _team = null!, _person = null!;
    private KeyResultDefinition _kr = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("badinput", Demo.Now);
        await Demo.SeedOrganisationAsync(_c);
        _cycle = _c.Cycle(Demo.CycleId);
        _company = await _cycle.CreateObjectiveAsync(new ObjectiveDraft("Company", Demo.Company, Id: "company"));
        _team = await _cycle.CreateObjectiveAsync(new ObjectiveDraft("Team", Demo.Team("growth"), Parents: [new(_company.Id)], Id: "team"));
        _person = await _cycle.CreateObjectiveAsync(new ObjectiveDraft("Person", Demo.Person("alice"), Parents: [new(_team.Id)], Id: "person"));
        _kr = await _cycle.CreateKeyResultAsync(new KeyResultDraft("Signups", Demo.Person("alice"), KeyResultKind.Increase, 0, 100, _person.Id, Id: "kr"));
        await _c.KeyResult(_kr.Id).CheckInAsync(Demo.CheckIn(30, 0.5, id: "first"));
        await _c.Organisation.CreateCycleAsync(new CycleDefinition("2027-q1", "2027-Q1", Demo.CycleEnd, Demo.CycleEnd.AddMonths(3)));
        await _c.WaitQuietAsync(Demo.CycleId);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    public static TheoryData<string, double> BadValues => new()
    {
        { "NaN", double.NaN }, { "+inf", double.PositiveInfinity }, { "-inf", double.NegativeInfinity }, { "huge", 1e15 },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task NonFiniteCheckInValuesAreRefused(string label, double value)
    {
        await RefusedUnchangedAsync("value", () => _c.KeyResult(_kr.Id).CheckInAsync(Demo.CheckIn(value)), label: label);
    }

    [Fact]
    public async Task BadCheckInsAreRefused()
    {
        var kr = _c.KeyResult(_kr.Id);
        await RefusedUnchangedAsync("confidence", () => kr.CheckInAsync(Demo.CheckIn(40, confidence: 1.5)));
        await RefusedUnchangedAsync("confidence", () => kr.CheckInAsync(Demo.CheckIn(40, confidence: double.NaN)));
        await RefusedUnchangedAsync("clientId", () => kr.CheckInAsync(Demo.CheckIn(40, id: " ")));
        await RefusedUnchangedAsync("note", () => kr.CheckInAsync(Demo.CheckIn(40) with { Note = new string('x', 2001) }));
        await RefusedUnchangedAsync("at", () => kr.CheckInAsync(Demo.CheckIn(40, at: Demo.Now.AddDays(2))));
        await RefusedUnchangedAsync("at", () => kr.CheckInAsync(Demo.CheckIn(40, at: Demo.CycleStart.AddDays(-1))));
        await RefusedUnchangedAsync("keyResultId", () => _c.KeyResult("2026-q4:nope").CheckInAsync(Demo.CheckIn(40)), RejectionKind.NotFound);
    }

    [Fact]
    public async Task ADuplicateCheckInIdIsAppliedOnce()
    {
        var kr = _c.KeyResult(_kr.Id);
        var before = await _cycle.GetSnapshotAsync();
        var again = await kr.CheckInAsync(Demo.CheckIn(30, 0.5, id: "first"));
        Assert.False(again.Applied);
        Assert.Equal(0.3, again.Score.Progress, 9);
        Assert.Single(await kr.GetHistoryAsync());
        await AssertUnchangedAsync(before);
        // The same id with other content is refused (Mismatch, 422 in the API) and changes nothing.
        await RefusedUnchangedAsync("clientId", () => kr.CheckInAsync(Demo.CheckIn(99, id: "first")), kind: RejectionKind.Mismatch);
        Assert.Single(await kr.GetHistoryAsync());
    }

    [Fact]
    public async Task AlignmentLoopsAreRefused()
    {
        // Directly, through a chain, and through a second parent.
        await RefusedUnchangedAsync("parents[0].parentId", () => _cycle.AlignObjectiveAsync(_company.Id, [new(_person.Id)]), kind: RejectionKind.Conflict);
        await RefusedUnchangedAsync("parents[0].parentId", () => _cycle.AlignObjectiveAsync(_company.Id, [new(_team.Id + "x")]), kind: RejectionKind.NotFound);
        var side = await _cycle.CreateObjectiveAsync(new ObjectiveDraft("Side", Demo.Company, Id: "side"));
        await _cycle.AlignObjectiveAsync(_person.Id, [new(_team.Id), new(side.Id)]);
        await RefusedUnchangedAsync("parents[0].parentId", () => _cycle.AlignObjectiveAsync(side.Id, [new(_person.Id)]), kind: RejectionKind.Conflict);
        await RefusedUnchangedAsync("parents[0].parentId", () => _cycle.AlignObjectiveAsync(_team.Id, [new(_team.Id)]));
        await RefusedUnchangedAsync("parents[1].parentId", () => _cycle.AlignObjectiveAsync(_person.Id, [new(_team.Id), new(_team.Id)]));
        await RefusedUnchangedAsync("parents[0].weight", () => _cycle.AlignObjectiveAsync(_person.Id, [new(_team.Id, -1)]));
        await RefusedUnchangedAsync("parents[0].parentId", () => _cycle.AlignObjectiveAsync(_person.Id, [new(_kr.Id)]));
        await _cycle.AlignObjectiveAsync(_person.Id, [new(_team.Id)]);
    }

    [Fact]
    public async Task CrossCycleAndUnknownIdsAreRefused()
    {
        var next = await _c.Cycle("2027-q1").CreateObjectiveAsync(new ObjectiveDraft("Next quarter", Demo.Company, Id: "next"));
        await RefusedUnchangedAsync("parents[0].parentId", () => _cycle.AlignObjectiveAsync(_team.Id, [new(next.Id)]));
        await RefusedUnchangedAsync("objectiveId", () => _cycle.MoveKeyResultAsync(_kr.Id, next.Id), kind: RejectionKind.Invalid);
        await RefusedUnchangedAsync("objectiveId", () => _cycle.MoveKeyResultAsync(_kr.Id, "2026-q4:ghost"), kind: RejectionKind.NotFound);
        await RefusedUnchangedAsync("keyResultId", () => _cycle.MoveKeyResultAsync("2026-q4:ghost", _team.Id), kind: RejectionKind.NotFound);
        await RefusedUnchangedAsync("owner", () => _cycle.CreateObjectiveAsync(new ObjectiveDraft("X", Demo.Team("nobody"))), kind: RejectionKind.NotFound);
        await RefusedUnchangedAsync("kpiId", () => _cycle.CreateKeyResultAsync(new KeyResultDraft("X", Demo.Company, KeyResultKind.KpiLinked, 0, 1, _team.Id, KpiId: "ghost")), kind: RejectionKind.NotFound);
    }

    [Fact]
    public async Task BadDefinitionsAreRefused()
    {
        await RefusedUnchangedAsync("title", () => _cycle.CreateObjectiveAsync(new ObjectiveDraft("  ", Demo.Company)));
        await RefusedUnchangedAsync("title", () => _cycle.CreateObjectiveAsync(new ObjectiveDraft(new string('t', 201), Demo.Company)));
        await RefusedUnchangedAsync("title", () => _cycle.EditObjectiveAsync(_team.Id, new ObjectiveEdit(Title: "")));
        await RefusedUnchangedAsync("id", () => _cycle.CreateObjectiveAsync(new ObjectiveDraft("Dup", Demo.Company, Id: "team")), kind: RejectionKind.Conflict);
        await RefusedUnchangedAsync("target", () => _cycle.CreateKeyResultAsync(new KeyResultDraft("Flat", Demo.Company, KeyResultKind.Increase, 5, 5, _team.Id)));
        await RefusedUnchangedAsync("target", () => _cycle.CreateKeyResultAsync(new KeyResultDraft("Wrong way", Demo.Company, KeyResultKind.Decrease, 5, 10, _team.Id)));
        await RefusedUnchangedAsync("start", () => _cycle.CreateKeyResultAsync(new KeyResultDraft("NaN", Demo.Company, KeyResultKind.Increase, double.NaN, 10, _team.Id)));
        await RefusedUnchangedAsync("weight", () => _cycle.CreateKeyResultAsync(new KeyResultDraft("Neg", Demo.Company, KeyResultKind.Increase, 0, 10, _team.Id, Weight: -0.5)));
        await RefusedUnchangedAsync("weight", () => _cycle.SetWeightAsync(_team.Id, _person.Id, double.PositiveInfinity));
        await RefusedUnchangedAsync("target", () => _cycle.EditKeyResultAsync(_kr.Id, new KeyResultEdit(Target: 0)));
    }

    [Fact]
    public async Task DeletingANodeWithChildrenNeedsDetach()
    {
        await RefusedUnchangedAsync("detachChildren", () => _cycle.DeleteAsync(_team.Id, detachChildren: false), kind: RejectionKind.Conflict);
        await RefusedUnchangedAsync("nodeId", () => _cycle.DeleteAsync("2026-q4:ghost", false), kind: RejectionKind.NotFound);
    }

    [Fact]
    public async Task AClosedCycleRefusesCheckInsUntilReopened()
    {
        var closing = "2026-q3";
        await _c.Organisation.CreateCycleAsync(new CycleDefinition(closing, "2026-Q3", Demo.CycleStart.AddMonths(-3), Demo.CycleStart));
        var o = await _c.Cycle(closing).CreateObjectiveAsync(new ObjectiveDraft("Old", Demo.Company));
        var kr = await _c.Cycle(closing).CreateKeyResultAsync(new KeyResultDraft("Old KR", Demo.Company, KeyResultKind.Increase, 0, 10, o.Id));
        await _c.KeyResult(kr.Id).CheckInAsync(Demo.CheckIn(7, at: Demo.CycleStart.AddDays(-10)));
        await _c.Cycle(closing).CloseAsync();

        var ex = await Assert.ThrowsAsync<OkrRejectedException>(() => _c.KeyResult(kr.Id).CheckInAsync(Demo.CheckIn(9, at: Demo.CycleStart.AddDays(-5))));
        Assert.Equal("cycle", ex.Field);
        Assert.Contains("closed", ex.Reason);
        Assert.Single(await _c.KeyResult(kr.Id).GetHistoryAsync());

        await _c.Cycle(closing).ReopenAsync();
        Assert.True((await _c.KeyResult(kr.Id).CheckInAsync(Demo.CheckIn(9, at: Demo.CycleStart.AddDays(-5)))).Applied);
    }

    private async Task RefusedUnchangedAsync(string field, Func<Task> act, RejectionKind kind = RejectionKind.Invalid, string? label = null)
    {
        var before = await _cycle.GetSnapshotAsync();
        var historyBefore = await _c.KeyResult(_kr.Id).GetHistoryAsync();
        var ex = await Assert.ThrowsAsync<OkrRejectedException>(act);
        Assert.True(field == ex.Field, $"{label}: expected field '{field}', got '{ex.Field}' ({ex.Reason})");
        Assert.Equal(kind, ex.Kind);
        Assert.False(string.IsNullOrWhiteSpace(ex.Reason));
        Assert.Equal(historyBefore, await _c.KeyResult(_kr.Id).GetHistoryAsync());
        await AssertUnchangedAsync(before);
    }

    private async Task AssertUnchangedAsync(CycleSnapshot before)
    {
        // Not a guess at how long a change takes to flow up: wait until no node's version moves any more (a refused
        // input that changed something anyway would show in the versions, or in the settled snapshot compared below).
        var after = await _c.WaitQuietAsync(Demo.CycleId);
        Assert.Equal(before.Objectives, after.Objectives);
        Assert.Equal(before.KeyResults, after.KeyResults);
        Assert.Equal(before.Edges.OrderBy(e => (e.ParentId, e.ChildId)), after.Edges.OrderBy(e => (e.ParentId, e.ChildId)));
        foreach (var (id, s) in before.Scores) Assert.True(s.SameAs(after.Scores[id]), id);
    }
}
