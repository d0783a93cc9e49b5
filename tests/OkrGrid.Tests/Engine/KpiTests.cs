namespace OkrGrid.Tests.Engine;

/// <summary>KPI health and baseline dips, and key results that take their value from a KPI.</summary>
public sealed class KpiTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("kpi", Demo.Now);
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task HealthBaselineAndLinkedKeyResultFollowTheLatestMeasurement()
    {
        var view = await _c.Organisation.CreateKpiAsync(new KpiDefinition("nps", "Net Promoter Score", "pts",
            Direction.HigherIsBetter, new KpiThresholds(50, 30), Baseline: 40, Demo.Company));
        Assert.Equal(Health.NoData, view.State.Health);
        var cycle = _c.Cycle(Demo.CycleId);
        var o = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Delight customers", Demo.Company));
        var kr = await cycle.CreateKeyResultAsync(new KeyResultDraft("Raise NPS to 60", Demo.Company, KeyResultKind.KpiLinked, 40, 60, o.Id, KpiId: "nps"));

        var kpi = _c.Kpi("nps");
        var r1 = await kpi.RecordAsync(new Measurement("w1", 45, Demo.Now.AddDays(-14)));
        Assert.Equal(Health.Yellow, r1.State.Health);
        Assert.False(r1.State.BelowBaseline);
        var r2 = await kpi.RecordAsync(new Measurement("w2", 25, Demo.Now.AddDays(-7)));
        Assert.Equal(Health.Red, r2.State.Health);
        Assert.True(r2.State.BelowBaseline);
        // A back-dated measurement does not replace the latest one.
        var r3 = await kpi.RecordAsync(new Measurement("w0", 70, Demo.Now.AddDays(-21)));
        Assert.Equal(25, r3.State.Latest);

        // (25 − 40)/(60 − 40) = −0.75 raw, 0 clamped; the objective follows.
        var s = await _c.WaitForAsync(Demo.CycleId, x => x.Scores[kr.Id].Value == 25 && x.Scores[o.Id].Progress == 0); // the objective follows a moment later
        Assert.Equal(-0.75, s.Scores[kr.Id].RawProgress, 9);
        Assert.Equal(0, s.Scores[o.Id].Progress, 9);

        await kpi.RecordAsync(new Measurement("w3", 55, Demo.Now));
        s = await _c.WaitForAsync(Demo.CycleId, x => Math.Abs(x.Scores[o.Id].Progress - 0.75) < 1e-9);
        Assert.Equal(0.75, s.Scores[o.Id].Progress, 9);
        Assert.Equal(Health.Green, (await kpi.GetStateAsync()).Health);
        Assert.Equal(4, (await kpi.GetHistoryAsync()).Length);
        Assert.Contains(kr.Id, (await kpi.GetViewAsync()).LinkedKeyResults);

        // A KPI-linked key result takes no check-ins, and a KPI feeding a key result cannot be deleted.
        var ex = await Assert.ThrowsAsync<OkrRejectedException>(() => _c.KeyResult(kr.Id).CheckInAsync(Demo.CheckIn(50)));
        Assert.Equal("value", ex.Field);
        var del = await Assert.ThrowsAsync<OkrRejectedException>(() => _c.Organisation.DeleteKpiAsync("nps"));
        Assert.Equal(RejectionKind.Conflict, del.Kind);
    }

    [Fact]
    public async Task LowerIsBetterKpisFlagADipAboveTheBaseline()
    {
        await _c.Organisation.CreateKpiAsync(new KpiDefinition("latency", "p95 latency", "ms",
            Direction.LowerIsBetter, new KpiThresholds(200, 400), Baseline: 250, Demo.Company));
        var r = await _c.Kpi("latency").RecordAsync(new Measurement("a", 300, Demo.Now));
        Assert.Equal(Health.Yellow, r.State.Health);
        Assert.True(r.State.BelowBaseline);
        r = await _c.Kpi("latency").RecordAsync(new Measurement("b", 180, Demo.Now.AddMinutes(1)));
        Assert.Equal(Health.Green, r.State.Health);
        Assert.False(r.State.BelowBaseline);
        var bad = await Assert.ThrowsAsync<OkrRejectedException>(() => _c.Organisation.CreateKpiAsync(new KpiDefinition("bad", "Bad", "ms",
            Direction.LowerIsBetter, new KpiThresholds(400, 200), 250, Demo.Company)));
        Assert.Equal("thresholds", bad.Field);
    }
}
