using Bunit;
using OkrGrid.Web.Components.Shared;

namespace OkrGrid.Tests.Components;

/// <summary>
/// The "scorecard as of" control: its slider runs from the cycle's earliest instant to now (the right end is live), a
/// drag moves only the label, letting go hands the instant to the page, "Now / live" hands back null, and a past
/// instant or a refused one is said in words.
/// </summary>
public sealed class AsOfControlTests : MudContext
{
    private static readonly DateTimeOffset From = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = From.AddDays(20); // 20 days: three-hour steps would be too coarse, hourly ones fit

    private readonly List<DateTimeOffset?> _picked = [];

    private IRenderedComponent<AsOfControl> RenderControl(DateTimeOffset? at = null, string? problem = null, DateTimeOffset? to = null) =>
        Render<AsOfControl>(p => p
            .Add(c => c.From, From)
            .Add(c => c.To, to ?? To)
            .Add(c => c.At, at)
            .Add(c => c.Problem, problem)
            .Add(c => c.AtChanged, at => _picked.Add(at)));

    [Fact]
    public void LiveSitsAtTheRightEndAndCannotBeResetFurther()
    {
        var cut = RenderControl();

        var slider = cut.Find("[data-testid=as-of-slider]");
        Assert.Equal("480", slider.GetAttribute("max")); // 20 days of hourly steps
        Assert.Equal("480", slider.GetAttribute("value"));
        Assert.Equal("Now · live", cut.Find("[data-testid=as-of-value]").TextContent);
        Assert.Equal("live", cut.Find("[data-testid=as-of]").GetAttribute("data-mode"));
        Assert.True(cut.Find("[data-testid=as-of-live]").HasAttribute("disabled"));
        Assert.Empty(cut.FindAll("[data-testid=as-of-notice]"));
    }

    [Fact]
    public void DraggingMovesTheLabelOnlyAndLettingGoPicksTheInstant()
    {
        var cut = RenderControl();
        var slider = cut.Find("[data-testid=as-of-slider]");

        slider.Input("33");
        Assert.Equal("2 Oct 2026, 09:00 UTC", cut.Find("[data-testid=as-of-value]").TextContent);
        Assert.Equal("2 Oct 2026, 09:00 UTC", slider.GetAttribute("aria-valuetext"));
        Assert.Empty(_picked);

        cut.Find("[data-testid=as-of-slider]").Change("33");
        Assert.Equal([From.AddHours(33)], _picked);

        cut.Find("[data-testid=as-of-slider]").Change("480");
        Assert.Null(_picked[^1]); // the right end is live
    }

    [Fact]
    public void APastInstantIsSaidToBeNotLiveAndCanBeResetToLive()
    {
        var at = new DateTimeOffset(2026, 10, 14, 9, 41, 17, TimeSpan.Zero);
        var cut = RenderControl(at);

        Assert.Equal("past", cut.Find("[data-testid=as-of]").GetAttribute("data-mode"));
        Assert.Equal("14 Oct 2026, 09:41 UTC", cut.Find("[data-testid=as-of-value]").TextContent);
        Assert.Equal("322", cut.Find("[data-testid=as-of-slider]").GetAttribute("value")); // the nearest hour
        var notice = cut.Find("[data-testid=as-of-notice]").TextContent;
        Assert.Contains("As of 14 Oct 2026, 09:41 UTC", notice);
        Assert.Contains("not live", notice);

        cut.Find("[data-testid=as-of-live]").Click();
        Assert.Equal([null], _picked);
    }

    [Fact]
    public void AnInstantJustBeforeNowStaysOffTheLiveEnd()
    {
        var cut = RenderControl(To.AddMinutes(-5));

        Assert.Equal("479", cut.Find("[data-testid=as-of-slider]").GetAttribute("value"));
    }

    [Fact]
    public void ARefusedInstantIsSaidAndOnlyLiveIsOffered()
    {
        var cut = RenderControl(problem: "'yesterday' is not an instant; give ISO 8601 such as 2026-10-01T09:00:00Z or 2026-10-01.");

        Assert.Equal("problem", cut.Find("[data-testid=as-of]").GetAttribute("data-mode"));
        Assert.Contains("cannot be shown as of that instant: 'yesterday' is not an instant", cut.Find("[data-testid=as-of-problem]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=as-of-notice]"));
        Assert.False(cut.Find("[data-testid=as-of-live]").HasAttribute("disabled"));
        cut.Find("[data-testid=as-of-live]").Click();
        Assert.Equal([null], _picked);
    }

    [Fact]
    public void ACycleWithNothingBehindItHasNoSlider()
    {
        var cut = RenderControl(to: From.AddMinutes(-1));

        var slider = cut.Find("[data-testid=as-of-slider]");
        Assert.True(slider.HasAttribute("disabled"));
        Assert.Contains("nothing to look back on yet", cut.Find("[data-testid=as-of]").TextContent);
    }

    [Theory]
    [InlineData(0, "2026-10-14T09:00:00Z")]
    [InlineData(250, "2026-10-14T09:00:00.25Z")]
    public void InstantsGoIntoTheAddressReadably(int milliseconds, string query)
    {
        var at = new DateTimeOffset(2026, 10, 14, 11, 0, 0, TimeSpan.FromHours(2)).AddMilliseconds(milliseconds);
        Assert.Equal(query, AsOf.Query(at));
        Assert.Equal("14 Oct 2026, 09:00 UTC", AsOf.Label(at));
        Assert.Equal(at, OkrGrid.Web.Apis.Require.InstantQuery(query, "at")); // read back as the API reads it
    }

    [Fact]
    public void TheChartMarksThePastInstant()
    {
        var cut = Render<ProgressChart>(p => p
            .Add(c => c.Points, [new ProgressChart.Sample(From.AddDays(2), 0.3, Status.OnTrack)])
            .Add(c => c.Start, From).Add(c => c.End, From.AddDays(90))
            .Add(c => c.Now, From.AddDays(30))
            .Add(c => c.Mark, From.AddDays(10)));

        Assert.Single(cut.FindAll("[data-testid=chart-as-of]"));
        Assert.Contains("as of 11 Oct", cut.Find(".okr-chart__mark-label").TextContent);
        Assert.Contains("As of 11 Oct 2026, 00:00 UTC", cut.Find(".okr-chart__legend").TextContent);
    }
}
