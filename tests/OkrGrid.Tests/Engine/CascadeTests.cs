namespace OkrGrid.Tests.Engine;

/// <summary>One check-in at a person's key result moves every ancestor up to the company.</summary>
public sealed class CascadeTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("cascade", Demo.Now);
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task CheckInAtLeafMovesEveryAncestorToTheExactValue()
    {
        var cycle = _c.Cycle(Demo.CycleId);
        var company = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Win the market", Demo.Company, Id: "company"));
        var dept = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Ship a product people love", Demo.Team("product"),
            Parents: [new ParentLink(company.Id, 2)], Id: "dept"));
        var team = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Grow activation", Demo.Team("growth"),
            Parents: [new ParentLink(dept.Id, 1)], Id: "team"));
        var person = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Run onboarding experiments", Demo.Person("alice"),
            Parents: [new ParentLink(team.Id, 3)], Id: "person"));

        await cycle.CreateKeyResultAsync(new KeyResultDraft("Revenue", Demo.Company, KeyResultKind.Increase, 0, 100, company.Id, Id: "c1"));
        var d1 = await cycle.CreateKeyResultAsync(new KeyResultDraft("NPS", Demo.Team("product"), KeyResultKind.StayAtOrAbove, 40, 50, dept.Id, Id: "d1"));
        var t1 = await cycle.CreateKeyResultAsync(new KeyResultDraft("Churn", Demo.Team("growth"), KeyResultKind.Decrease, 100, 50, team.Id, Id: "t1"));
        var p1 = await cycle.CreateKeyResultAsync(new KeyResultDraft("Experiments run", Demo.Person("alice"), KeyResultKind.Increase, 0, 200, person.Id, Id: "p1"));

        await _c.KeyResult(d1.Id).CheckInAsync(Demo.CheckIn(60));   // stay ≥ 50 holds → 1
        await _c.KeyResult(t1.Id).CheckInAsync(Demo.CheckIn(80));   // (80−100)/(50−100) = 0.4

        // Before the leaf check-in: person 0; team (3·0 + 0.4)/4 = 0.1; dept (0.1 + 1)/2 = 0.55; company (2·0.55 + 0)/3.
        var before = await _c.WaitForAsync(Demo.CycleId, s => Near(s, company.Id, 1.1 / 3));
        Assert.Equal(0.0, before.Scores[person.Id].Progress, 9);
        Assert.Equal(0.1, before.Scores[team.Id].Progress, 9);
        Assert.Equal(0.55, before.Scores[dept.Id].Progress, 9);
        Assert.Equal(1.1 / 3, before.Scores[company.Id].Progress, 9);

        var result = await _c.KeyResult(p1.Id).CheckInAsync(Demo.CheckIn(150, confidence: 0.8));
        Assert.True(result.Applied);
        Assert.Equal(0.75, result.Score.Progress, 9);

        // After: person 0.75; team (3·0.75 + 0.4)/4 = 0.6625; dept (0.6625 + 1)/2 = 0.83125; company 2·0.83125/3.
        var after = await _c.WaitForAsync(Demo.CycleId, s => Near(s, company.Id, 2 * 0.83125 / 3));
        Assert.Equal(0.75, after.Scores[person.Id].Progress, 9);
        Assert.Equal(0.6625, after.Scores[team.Id].Progress, 9);
        Assert.Equal(0.83125, after.Scores[dept.Id].Progress, 9);
        Assert.Equal(2 * 0.83125 / 3, after.Scores[company.Id].Progress, 9);

        // 45 of 92 days gone: expected ≈ 0.489. Company 0.554 is on track; the untouched revenue KR has no data.
        Assert.Equal(Status.OnTrack, after.Scores[company.Id].Status);
        Assert.Equal(Status.NoData, after.Scores["2026-q4:c1"].Status);
        // Confidence flows up from the only KR that reported one.
        Assert.Equal(0.8, after.Scores[company.Id].Confidence!.Value, 9);

        // Each ancestor's view agrees with the snapshot.
        var view = await _c.Objective(team.Id).GetViewAsync();
        Assert.Equal(0.6625, view.Score.Progress, 9);
        Assert.Equal(2, view.Children.Length);
    }

    private static bool Near(CycleSnapshot s, string id, double expected) =>
        s.Scores.TryGetValue(id, out var score) && Math.Abs(score.Progress - expected) < 1e-9;
}
