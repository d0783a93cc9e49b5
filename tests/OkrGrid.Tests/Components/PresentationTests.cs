using Bunit;
using OkrGrid.Web.Components.Shared;
using OkrGrid.Web.Components.Wall;

namespace OkrGrid.Tests.Components;

public sealed class PresentationTests : MudContext
{
    [Theory]
    [InlineData(Status.OnTrack, "On track", "okr-status--on-track")]
    [InlineData(Status.AtRisk, "At risk", "okr-status--at-risk")]
    [InlineData(Status.OffTrack, "Off track", "okr-status--off-track")]
    [InlineData(Status.NoData, "No data", "okr-status--no-data")]
    public void StatusChipShowsTheStatusInWordsAndColour(Status status, string label, string css)
    {
        var cut = Render<StatusChip>(p => p.Add(c => c.Status, status));

        var chip = cut.Find(".okr-status");
        Assert.Equal(label, chip.TextContent.Trim());
        Assert.Contains(css, chip.ClassList);
    }

    [Fact]
    public void StatusChipShowsTheGradeOfAClosedCycle()
    {
        var cut = Render<StatusChip>(p => p.Add(c => c.Status, Status.OnTrack).Add(c => c.Grade, 0.7));

        Assert.Contains("grade 0.70", cut.Find(".okr-status").TextContent);
    }

    [Fact]
    public void ProgressBarClampsTheFillAndMarksThePace()
    {
        var cut = Render<ProgressBar>(p => p.Add(c => c.Value, 1.25).Add(c => c.Expected, 0.4).Add(c => c.Status, Status.OnTrack));

        Assert.Equal("width:100%", cut.Find(".okr-bar__fill").GetAttribute("style"));
        Assert.Contains("okr-fill--on-track", cut.Find(".okr-bar__fill").ClassList);
        Assert.Equal("left:40%", cut.Find(".okr-bar__pace").GetAttribute("style"));
        Assert.Equal("100", cut.Find("[role=progressbar]").GetAttribute("aria-valuenow"));
    }

    [Fact]
    public void ProgressBarWithoutPaceHasNoTick()
    {
        var cut = Render<ProgressBar>(p => p.Add(c => c.Value, 0.333).Add(c => c.Status, Status.AtRisk));

        Assert.Equal("width:33.3%", cut.Find(".okr-bar__fill").GetAttribute("style"));
        Assert.Empty(cut.FindAll(".okr-bar__pace"));
    }

    [Fact]
    public void ProgressRingShowsThePercentage()
    {
        var cut = Render<ProgressRing>(p => p.Add(c => c.Value, 0.554).Add(c => c.Status, Status.AtRisk));

        Assert.Equal("55%", cut.Find(".okr-ring__label").TextContent.Trim());
        Assert.Contains("okr-ring--at-risk", cut.Find(".okr-ring").ClassList);
    }

    [Fact]
    public void LiveNumberFlashesOnlyWhenItsTextChanges()
    {
        var cut = Render<LiveNumber>(p => p.Add(c => c.Text, "9"));
        Assert.Equal("0", cut.Find(".okr-live").GetAttribute("data-changes"));
        Assert.DoesNotContain("okr-live--changed", cut.Find(".okr-live").ClassList);

        cut.Render(p => p.Add(c => c.Text, "9"));
        Assert.Equal("0", cut.Find(".okr-live").GetAttribute("data-changes"));

        cut.Render(p => p.Add(c => c.Text, "11"));
        Assert.Equal("11", cut.Find(".okr-live").TextContent);
        Assert.Equal("1", cut.Find(".okr-live").GetAttribute("data-changes"));
        Assert.Contains("okr-live--changed", cut.Find(".okr-live").ClassList);
    }

    [Fact]
    public void SparklineMarksMeasurementsBelowTheBaselineAsDips()
    {
        var cut = Render<Sparkline>(p => p
            .Add(c => c.Values, [18500, 19200, 20100, 17940])
            .Add(c => c.Baseline, 18500)
            .Add(c => c.Direction, Direction.HigherIsBetter)
            .Add(c => c.Health, Health.Yellow));

        var dips = cut.FindAll(".okr-spark__dot--dip");
        Assert.Single(dips);
        Assert.Contains("17,940", dips[0].GetAttribute("title"));
        Assert.Single(cut.FindAll(".okr-spark__baseline"));
        Assert.Contains("okr-tone--at-risk", cut.Find("svg").ClassList);
    }

    [Fact]
    public void SparklineOfALowerIsBetterKpiFlagsValuesAboveTheBaseline()
    {
        var cut = Render<Sparkline>(p => p
            .Add(c => c.Values, [470, 490, 300])
            .Add(c => c.Baseline, 480)
            .Add(c => c.Direction, Direction.LowerIsBetter));

        Assert.Single(cut.FindAll(".okr-spark__dot--dip"));
    }

    [Fact]
    public void SparklineWithoutMeasurementsSaysSo()
    {
        var cut = Render<Sparkline>(p => p.Add(c => c.Values, Array.Empty<double>()));

        Assert.Equal("no measurements yet", cut.Find("svg").GetAttribute("aria-label"));
    }

    [Fact]
    public void KpiTileShowsValueHealthTrendAndTheDip()
    {
        var at = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var def = new KpiDefinition("wau", "Weekly active users", "users", Direction.HigherIsBetter, new KpiThresholds(20000, 17000), 18500,
            new Owner(OwnerKind.Team, "growth"));
        var kpi = new KpiView(def, new KpiState("wau", 3, 17940, at, Health.Yellow, BelowBaseline: true), [],
            [new Measurement("a", 20544, at.AddDays(-7)), new Measurement("b", 17940, at)]);

        var cut = Render<KpiTile>(p => p.Add(c => c.Kpi, kpi));

        Assert.Equal("17,940", cut.Find(".okr-kpi__number").TextContent);
        Assert.Equal("users", cut.Find(".okr-kpi__unit").TextContent);
        Assert.Equal("Watch", cut.Find(".okr-status").TextContent.Trim());
        Assert.Contains("below baseline 18,500 users", cut.Find(".okr-kpi__dip").TextContent);
        Assert.Contains("okr-kpi__trend--worse", cut.Find(".okr-kpi__trend").ClassList);
        Assert.Contains("2,604", cut.Find(".okr-kpi__trend").TextContent);
    }

    [Fact]
    public void WallObjectiveListsItsKeyResultsWithValueTargetAndProgress()
    {
        var objective = new ObjectiveDefinition("c:o", "c", "Become indispensable", "", Owner.Company("lumen"), RollUpMode.KeyResultsAndObjectives);
        // A title that does not state its target: the row shows it ("Land 15 new …" would say it already, and the wall
        // gives such a title the room instead — WallCompositionTests).
        var logos = new KeyResultDefinition("c:logos", "c", "Land new enterprise customers", new Owner(OwnerKind.Person, "sofia"),
            KeyResultKind.Increase, 0, 15, "customers", null);
        var uptime = new KeyResultDefinition("c:uptime", "c", "Keep the platform available", new Owner(OwnerKind.Person, "priya"),
            KeyResultKind.StayAtOrAbove, 99.9, 99.9, "%", null);
        var item = new ObjectiveItem(objective, Score("c:o", 0.41, Status.AtRisk, kind: NodeKind.Objective), "Lumen", 0.59,
        [
            new KeyResultItem(logos, Score("c:logos", 5 / 15.0, Status.OffTrack, value: 5), "Sofia", 0.59),
            new KeyResultItem(uptime, Score("c:uptime", 1, Status.OnTrack, value: 99.98), "Priya", 1),
        ], ChildObjectives: 3, Marker: "▼ just turned at risk");

        var cut = Render<WallObjective>(p => p.Add(c => c.Item, item).Add(c => c.Density, "full"));

        Assert.Equal("41", cut.Find(".wall-obj__number").TextContent);
        Assert.Contains("wall-obj--at-risk", cut.Find(".wall-obj").ClassList);
        Assert.Contains("wall-obj--marked", cut.Find(".wall-obj").ClassList);
        Assert.Equal("▼ just turned at risk", cut.Find(".wall-obj__marker").TextContent);
        Assert.Contains("3 aligned objectives", cut.Find(".wall-obj__meta").TextContent);

        var logosRow = cut.Find("[data-kr='c:logos']");
        Assert.Equal("5", logosRow.QuerySelector(".wall-kr__number")!.TextContent);
        Assert.Equal("customers", logosRow.QuerySelector(".wall-kr__unit")!.TextContent.Trim());
        Assert.Equal("target 15", logosRow.QuerySelector(".wall-kr__target")!.TextContent);
        Assert.Equal("33%", logosRow.QuerySelector(".wall-kr__pct")!.TextContent);

        var uptimeRow = cut.Find("[data-kr='c:uptime']");
        Assert.Equal("99.98", uptimeRow.QuerySelector(".wall-kr__number")!.TextContent);
        Assert.Equal("keep ≥ 99.9%", uptimeRow.QuerySelector(".wall-kr__target")!.TextContent);
        Assert.Equal("holding", uptimeRow.QuerySelector(".wall-kr__pct")!.TextContent);
    }

    [Fact]
    public void WallObjectiveInSummaryDensityLeavesTheKeyResultsOut()
    {
        var objective = new ObjectiveDefinition("c:o", "c", "Ship", "", new Owner(OwnerKind.Team, "growth"), RollUpMode.KeyResultsAndObjectives);
        var kr = new KeyResultDefinition("c:k", "c", "Ship it", new Owner(OwnerKind.Person, "p"), KeyResultKind.Milestone, 0, 1, "", null);
        var item = new ObjectiveItem(objective, null, "Growth", 0.5, [new KeyResultItem(kr, null, "P", 0.5)]);

        var cut = Render<WallObjective>(p => p.Add(c => c.Item, item).Add(c => c.Density, "summary"));

        Assert.Empty(cut.FindAll(".wall-kr"));
        Assert.Contains("1 key result", cut.Find(".wall-obj__meta").TextContent);
        Assert.Contains("Growth", cut.Find(".wall-obj__owner").TextContent);
        Assert.Equal("No data", cut.Find(".okr-status").TextContent.Trim());
    }
}
