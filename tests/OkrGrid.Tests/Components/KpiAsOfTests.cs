using OkrGrid.Web.Live;

namespace OkrGrid.Tests.Components;

/// <summary>The wall's KPI tiles as of an instant: the latest measurement dated by then, and the health it gave.</summary>
[Trait("Category", "Fast")]
public sealed class KpiAsOfTests
{
    private static readonly DateTimeOffset Day = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly KpiView Wau = new(
        new KpiDefinition("wau", "Weekly active users", "users", Direction.HigherIsBetter, new KpiThresholds(20000, 17000), 18500,
            new Owner(OwnerKind.Team, "growth")),
        new KpiState("wau", 3, 21000, Day.AddDays(20), Health.Green, false), [], []);

    private static readonly ImmutableArray<Measurement> History =
        [new("a", 19000, Day.AddDays(1)), new("b", 16500, Day.AddDays(8)), new("c", 21000, Day.AddDays(20))];

    [Fact]
    public void TheLatestMeasurementByThenDecidesTheHealth()
    {
        var then = LiveBoard.KpiAsOf(Wau with { Recent = History }, History, Day.AddDays(10))!;

        Assert.Equal((16500.0, Day.AddDays(8), Health.Red, true), (then.State.Latest!.Value, then.State.LatestAt!.Value, then.State.Health, then.State.BelowBaseline));
        Assert.Equal([19000.0, 16500.0], then.Recent.Select(m => m.Value));
    }

    [Fact]
    public void AKpiWithNothingMeasuredByThenIsLeftOut() =>
        Assert.Null(LiveBoard.KpiAsOf(Wau, History, Day));
}
