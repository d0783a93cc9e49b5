namespace OkrGrid.Tests.Engine;

/// <summary>Closing freezes grades, reopening thaws them, and unfinished work carries into the next cycle.</summary>
public sealed class CycleLifecycleTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("lifecycle", Demo.Now);
        await Demo.SeedOrganisationAsync(_c);
        await _c.Organisation.CreateCycleAsync(new CycleDefinition("2027-q1", "2027-Q1", Demo.CycleEnd, Demo.CycleEnd.AddMonths(3)));
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task CloseGradesReopenAndCarryOver()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var company = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Company", Demo.Company, Id: "company"));
        var done = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Done", Demo.Team("growth"), Parents: [new(company.Id)], Id: "done"));
        var half = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Half", Demo.Team("growth"), Parents: [new(company.Id)], Id: "half"));
        var m = await cycle.CreateKeyResultAsync(new KeyResultDraft("Launch", Demo.Company, KeyResultKind.Milestone, 0, 1, done.Id, Id: "launch"));
        var a = await cycle.CreateKeyResultAsync(new KeyResultDraft("Users", Demo.Company, KeyResultKind.Increase, 100, 200, half.Id, Unit: "users", Id: "users"));
        var b = await cycle.CreateKeyResultAsync(new KeyResultDraft("Docs", Demo.Company, KeyResultKind.Increase, 0, 10, half.Id, Id: "docs"));
        await _c.KeyResult(m.Id).CheckInAsync(Demo.CheckIn(1));
        await _c.KeyResult(a.Id).CheckInAsync(Demo.CheckIn(165));   // 0.65
        await _c.KeyResult(b.Id).CheckInAsync(Demo.CheckIn(10));    // 1

        // Closed straight after the check-ins: grades are exact even if the cascade is still on its way.
        var info = await cycle.CloseAsync();
        Assert.True(info.Closed);
        var s = await _c.WaitForAsync(Demo.CycleId, x => x.Scores.Values.All(v => v.Grade is not null));
        Assert.Equal(1.0, s.Scores[done.Id].Grade);
        Assert.Equal(0.83, s.Scores[half.Id].Grade);        // (0.65 + 1)/2 = 0.825 → 0.83
        Assert.Equal(0.91, s.Scores[company.Id].Grade);     // (1 + 0.825)/2 = 0.9125 → 0.91
        Assert.True(Rules.MeetsStretch(s.Scores[half.Id].Grade!.Value, ScoringPolicy.Default));

        // Frozen: the structure refuses changes.
        var ex = await Assert.ThrowsAsync<OkrRejectedException>(() => cycle.CreateObjectiveAsync(new ObjectiveDraft("Late", Demo.Company)));
        Assert.Equal(RejectionKind.Conflict, ex.Kind);

        // Finished objectives do not carry over; unfinished ones do, with their unfinished key results starting where they ended.
        var refused = await Assert.ThrowsAsync<OkrRejectedException>(() => cycle.CarryOverAsync("2027-q1", [done.Id]));
        Assert.Equal("objectiveIds[0]", refused.Field);
        var carried = Assert.Single(await cycle.CarryOverAsync("2027-q1", [half.Id]));
        Assert.Equal("Half", carried.Title);
        var next = await _c.Cycle("2027-q1").GetSnapshotAsync();
        var kr = Assert.Single(next.KeyResults);
        Assert.Equal("Users", kr.Title);
        Assert.Equal(165, kr.Start);
        Assert.Equal(200, kr.Target);
        Assert.Contains(next.Edges, e => e.ParentId == carried.Id && e.ChildId == kr.Id);

        // Reopened: live scores again (no grade), and check-ins are accepted.
        await cycle.ReopenAsync();
        await _c.KeyResult(a.Id).CheckInAsync(Demo.CheckIn(200, at: Demo.Now.AddMinutes(1)));
        var live = await _c.WaitForAsync(Demo.CycleId, x => Math.Abs(x.Scores[company.Id].Progress - 1) < 1e-9);
        Assert.Equal(1.0, live.Scores[company.Id].Progress, 9);
        Assert.Null(live.Scores[company.Id].Grade);
    }

    [Fact]
    public async Task DeletingWithDetachOrphansTheChildrenAndParentsRecompute()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var parent = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Parent", Demo.Company));
        var child = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Child", Demo.Company, Parents: [new(parent.Id)]));
        var kr1 = await cycle.CreateKeyResultAsync(new KeyResultDraft("One", Demo.Company, KeyResultKind.Increase, 0, 10, child.Id));
        var kr2 = await cycle.CreateKeyResultAsync(new KeyResultDraft("Two", Demo.Company, KeyResultKind.Increase, 0, 10, parent.Id));
        await _c.KeyResult(kr1.Id).CheckInAsync(Demo.CheckIn(10));
        await _c.KeyResult(kr2.Id).CheckInAsync(Demo.CheckIn(2));
        await _c.WaitForAsync(Demo.CycleId, x => Math.Abs(x.Scores[parent.Id].Progress - 0.6) < 1e-9);

        await cycle.DeleteAsync(child.Id, detachChildren: true);
        var s = await _c.WaitForAsync(Demo.CycleId, x => Math.Abs(x.Scores[parent.Id].Progress - 0.2) < 1e-9);
        Assert.Equal(0.2, s.Scores[parent.Id].Progress, 9);
        Assert.DoesNotContain(s.Objectives, o => o.Id == child.Id);
        Assert.DoesNotContain(s.Edges, e => e.ChildId == kr1.Id);   // the KR is kept, detached
        Assert.Contains(s.KeyResults, k => k.Id == kr1.Id);
        await Assert.ThrowsAsync<OkrRejectedException>(() => _c.Objective(child.Id).GetViewAsync());
    }

    [Fact]
    public async Task MovingAKeyResultRecomputesOldAndNewParents()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var from = await cycle.CreateObjectiveAsync(new ObjectiveDraft("From", Demo.Company));
        var to = await cycle.CreateObjectiveAsync(new ObjectiveDraft("To", Demo.Company));
        var stay = await cycle.CreateKeyResultAsync(new KeyResultDraft("Stay", Demo.Company, KeyResultKind.Increase, 0, 10, from.Id));
        var move = await cycle.CreateKeyResultAsync(new KeyResultDraft("Move", Demo.Company, KeyResultKind.Increase, 0, 10, from.Id));
        await _c.KeyResult(stay.Id).CheckInAsync(Demo.CheckIn(2));
        await _c.KeyResult(move.Id).CheckInAsync(Demo.CheckIn(8));
        await _c.WaitForAsync(Demo.CycleId, x => Math.Abs(x.Scores[from.Id].Progress - 0.5) < 1e-9);

        await cycle.MoveKeyResultAsync(move.Id, to.Id, weight: 3);
        var s = await _c.WaitForAsync(Demo.CycleId, x => Math.Abs(x.Scores[from.Id].Progress - 0.2) < 1e-9 && Math.Abs(x.Scores[to.Id].Progress - 0.8) < 1e-9);
        Assert.Equal(0.2, s.Scores[from.Id].Progress, 9);
        Assert.Equal(0.8, s.Scores[to.Id].Progress, 9);
        var view = await _c.KeyResult(move.Id).GetViewAsync();
        Assert.Equal(to.Id, view.ObjectiveId);
        Assert.Equal(3, view.Weight);
    }
}
