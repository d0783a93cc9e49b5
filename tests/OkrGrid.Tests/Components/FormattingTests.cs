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
