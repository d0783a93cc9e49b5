using OkrGrid.Web.Components.Shared;
using OkrGrid.Web.Components.Wall;

namespace OkrGrid.Tests.Components;

[Trait("Category", "Fast")]
public sealed class FormattingTests
{
    [Theory]
    [InlineData(18500, "", "18,500")]
    [InlineData(99.95, "%", "99.95%")]
    [InlineData(4.2, "h", "4.2 h")]
    [InlineData(15, "customers", "15 customers")]
    [InlineData(0.126, "", "0.13")]
    public void ValuesReadAsPeopleWriteThem(double value, string unit, string expected) =>
        Assert.Equal(expected, Fmt.WithUnit(value, unit));

    [Theory]
    [InlineData(1, "customers", "1 customer")]
    [InlineData(1.001, "customers", "1 customer")]     // shown as "1": read as one
    [InlineData(-1, "days", "-1 day")]
    [InlineData(0, "customers", "0 customers")]
    [InlineData(2, "customers", "2 customers")]
    [InlineData(1.5, "days", "1.5 days")]
    [InlineData(1000, "users", "1,000 users")]
    [InlineData(1, "incidents", "1 incident")]
    [InlineData(1, "stories", "1 story")]
    [InlineData(1, "batches", "1 batch")]
    [InlineData(1, "fixes", "1 fix")]
    [InlineData(1, "classes", "1 class")]
    [InlineData(1, "story points", "1 story point")]
    [InlineData(1, "new customers", "1 new customer")]
    [InlineData(1, "tickets/day", "1 ticket/day")]
    [InlineData(1, "customers per week", "1 customer per week")]
    [InlineData(1, "pts", "1 pt")]
    [InlineData(1, "ms", "1 ms")]
    [InlineData(1, "h", "1 h")]
    [InlineData(1, "min", "1 min")]
    [InlineData(1, "kbps", "1 kbps")]
    [InlineData(1, "NPS", "1 NPS")]
    [InlineData(1, "status", "1 status")]
    [InlineData(1, "series", "1 series")]
    [InlineData(1, "%", "1%")]
    [InlineData(1, "", "1")]
    public void OneOfAUnitReadsInTheSingular(double value, string unit, string expected) =>
        Assert.Equal(expected, Fmt.WithUnit(value, unit));

    [Fact]
    public void AUnitShownApartFromItsNumberAgreesWithIt()
    {
        var owner = new Owner(OwnerKind.Person, "p");
        var logos = new KeyResultDefinition("c:a", "c", "Land", owner, KeyResultKind.Increase, 0, 15, "customers", null);
        NodeScore At(double value) => new("x", NodeKind.KeyResult, 1, 0.1, 0.1, Status.OnTrack, null, false, null, value);

        Assert.Equal("customer", KeyResultText.Unit(logos, At(1)));
        Assert.Equal("customers", KeyResultText.Unit(logos, At(2)));
        Assert.Equal("1 customer", KeyResultText.Current(logos, At(1)));
        Assert.Equal("target 1 customer", KeyResultText.Target(logos with { Target = 1 }));
        Assert.Equal("users", Fmt.UnitFor("1,000", "users"));
    }

    [Fact]
    public void KeyResultWordsDependOnItsKind()
    {
        var owner = new Owner(OwnerKind.Person, "p");
        var increase = new KeyResultDefinition("c:a", "c", "Land", owner, KeyResultKind.Increase, 0, 15, "customers", null);
        var stay = new KeyResultDefinition("c:b", "c", "Keep", owner, KeyResultKind.StayAtOrBelow, 10, 10, "%", null);
        var milestone = new KeyResultDefinition("c:c", "c", "Ship", owner, KeyResultKind.Milestone, 0, 1, "", null);
        NodeScore S(double progress, double value) => new("x", NodeKind.KeyResult, 1, Math.Min(progress, 1), progress, Status.OnTrack, null, false, null, value);

        Assert.Equal("9 customers", KeyResultText.Current(increase, S(0.6, 9)));
        Assert.Equal("—", KeyResultText.Current(increase, null));
        Assert.Equal("125%", KeyResultText.Progress(increase, S(1.25, 18.75)));
        Assert.Equal("from 0 to 15 customers", KeyResultText.Range(increase));
        Assert.Equal("keep ≤ 10%", KeyResultText.Target(stay));
        Assert.Equal("breached", KeyResultText.Progress(stay, S(0, 12)));
        Assert.Equal("Done", KeyResultText.Current(milestone, S(1, 1)));
        Assert.Equal("not yet", KeyResultText.Progress(milestone, S(0, 0)));
    }

    [Fact]
    public void NodeIdsWithAColonStayReadableInLinks()
    {
        Assert.Equal("/key-results/2026-q4:growth-logos", Links.KeyResult("2026-q4:growth-logos"));
        Assert.Equal("/objectives/2026-q4:a%20b", Links.Objective("2026-q4:a b"));
        Assert.Equal("/wall?team=growth", Links.WallFor("growth"));
    }

    [Fact]
    public void TheWallFitsThreeObjectivesWithTheirKeyResultsInFull()
    {
        var plan = WallPlan.For([2, 2, 2], withKpis: true);

        Assert.Equal(new WallLayoutPlan(1, "full", 3), plan);
    }

    [Fact]
    public void TheWallGetsDenserAsObjectivesGrowAndNeverScrolls()
    {
        Assert.Equal(2, WallPlan.For([3, 3, 3, 2, 2], withKpis: true).Columns);
        var many = WallPlan.For(Enumerable.Repeat(3, 12).ToList(), withKpis: false);
        Assert.Equal("summary", many.Density);
        Assert.Equal(12, many.Shown);
        var tooMany = WallPlan.For(Enumerable.Repeat(2, 40).ToList(), withKpis: true);
        Assert.True(tooMany.Shown < 40);
        var rows = (tooMany.Shown + tooMany.Columns - 1) / tooMany.Columns;
        Assert.True(rows * WallPlan.CardHeight(tooMany.Density, 2) <= WallPlan.Budget);
    }

    [Theory]
    [InlineData("objectives[0].title", "objective.title")]
    [InlineData("keyResults[0].target", "keyResult.target")]
    [InlineData("edges[1].parentId", "parent")]
    [InlineData("cycleId", null)]
    public void TheFixItDialogShowsARefusalAtTheFieldItNames(string field, string? expected) =>
        Assert.Equal(expected, FixKpiDialog.FieldOf(field));
}
