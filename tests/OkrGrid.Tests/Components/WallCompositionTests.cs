using OkrGrid.Web.Components.Wall;

namespace OkrGrid.Tests.Components;

/// <summary>
/// The wall's composition without a browser: how much the right-hand column holds, the latest-updates feed, when a
/// key result's target gets its own column, and the "just turned" marker.
/// </summary>
public sealed class WallCompositionTests
{
    private static double ColumnHeight(WallSide side, IReadOnlyList<int> titles, bool feed)
    {
        // The column as WallSidePlan measures it: each part's label, its items and the gaps between them.
        var h = 0.0;
        if (side.Kpis > 0) h += WallSidePlan.Label + WallSidePlan.Gap + side.Kpis * WallSidePlan.KpiTile + (side.Kpis - 1) * WallSidePlan.KpiGap + WallSidePlan.Gap;
        if (side.Supports > 0)
            h += WallSidePlan.Label + WallSidePlan.Gap + titles.Take(side.Supports).Sum(WallSidePlan.SupportHeight)
                + (side.Supports - 1) * WallSidePlan.SupportGap + WallSidePlan.Gap;
        if (feed) h += WallSidePlan.Label + WallSidePlan.Gap + side.Updates * WallSidePlan.Update + Math.Max(0, side.Updates - 1) * WallSidePlan.UpdateGap;
        return h;
    }

    [Fact]
    public void ATeamWithoutKpisFillsItsColumnWithUpdates()
    {
        // The Data team: one objective it contributes to, many check-ins — the column is not left two thirds empty.
        var side = WallSidePlan.For(0, [35], updates: 16);
        Assert.Equal((0, 1), (side.Kpis, side.Supports));
        Assert.True(side.Updates >= 8, $"only {side.Updates} updates in an otherwise empty column");
        Assert.True(ColumnHeight(side, [35], feed: true) <= WallSidePlan.Height);
        // One more would not fit.
        Assert.True(ColumnHeight(side with { Updates = side.Updates + 1 }, [35], feed: true) > WallSidePlan.Height);
    }

    [Fact]
    public void KpisAndThreeParentsLeaveRoomForTwoUpdatesAndCountWhatTheyLeaveOut()
    {
        // Product & Engineering: two KPIs, three company objectives, a busy feed.
        int[] titles = [50, 54, 43];
        var side = WallSidePlan.For(2, titles, updates: 16);
        Assert.Equal(2, side.Kpis);
        Assert.True(side.Supports is >= 1 and < 3, $"{side.Supports} supports");
        Assert.True(side.Updates >= 2);
        Assert.True(ColumnHeight(side, titles, feed: true) <= WallSidePlan.Height);
    }

    [Fact]
    public void NothingIsPlannedThatIsNotThere()
    {
        Assert.Equal(new WallSide(0, 0, 0), WallSidePlan.For(0, [], updates: 0));
        var side = WallSidePlan.For(1, [20, 20], updates: 1);
        Assert.Equal(new WallSide(1, 2, 1), side);
        // Without supports or updates, every KPI is shown (the company's column).
        Assert.Equal(5, WallSidePlan.For(5, [], updates: 0).Kpis);
    }

    [Fact]
    public void ALongSupportTitleTakesTwoLines()
    {
        Assert.Equal(WallSidePlan.Support, WallSidePlan.SupportHeight(WallSidePlan.CharsPerLine));
        Assert.Equal(WallSidePlan.Support + WallSidePlan.TitleLine, WallSidePlan.SupportHeight(WallSidePlan.CharsPerLine + 1));
    }

    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    private static WallUpdate U(string kr, int minutes, string id = "") => new(kr, kr, "1", "Ann", T0.AddMinutes(minutes), id.Length > 0 ? id : $"{kr}-{minutes}");

    [Fact]
    public void TheFeedIsNewestFirstOneEntryPerCheckInAndPerScorecard()
    {
        var feed = new WallFeed();
        feed.Add([U("a", 1), U("b", 5), U("a", 3)]);
        // Read again from history when it lands live: the same check-in, not a second entry.
        feed.Add([U("b", 5), U("c", 9)]);
        Assert.Equal(["c", "b", "a", "a"], feed.Updates.Select(u => u.KeyResultId));
        Assert.Equal(["b", "a"], feed.Of(new HashSet<string> { "a", "b" }, 2).Select(u => u.KeyResultId));
        Assert.Empty(feed.Of(new HashSet<string> { "z" }, 5));
    }

    [Fact]
    public void TheFeedKeepsItsNewestFifty()
    {
        var feed = new WallFeed();
        feed.Add(Enumerable.Range(0, 80).Select(i => U("a", i)));
        Assert.Equal(WallFeed.Capacity, feed.Updates.Count);
        Assert.Equal(T0.AddMinutes(79), feed.Updates[0].At);
        Assert.Equal(T0.AddMinutes(30), feed.Updates[^1].At);
    }

    [Fact]
    public void AnUpdateReadsAsTheKeyResultWritesItsValue()
    {
        var owner = new Owner(OwnerKind.Person, "p");
        var seats = new KeyResultDefinition("c:s", "c", "Grow seats from 14 to 18", owner, KeyResultKind.Increase, 14, 18, "seats", null);
        var ship = new KeyResultDefinition("c:m", "c", "Ship it", owner, KeyResultKind.Milestone, 0, 1, "", null);
        var checkIn = new CheckIn("x", 16, 0.8, "", "Sofia Álvarez", T0);
        Assert.Equal("16 seats", WallUpdate.Of(seats, checkIn).Value);
        Assert.Equal("Sofia Álvarez", WallUpdate.Of(seats, checkIn).Author);
        Assert.Equal("Done", WallUpdate.Of(ship, checkIn with { Value = 1 }).Value);
        Assert.Equal("Not yet", WallUpdate.Of(ship, checkIn with { Value = 0 }).Value);
    }

    [Theory]
    [InlineData("Cut ingestion lag from 45 to 5 minutes", 5, true)]
    [InlineData("Land 15 new enterprise customers", 15, true)]
    [InlineData("Grow average seats per account from 14 to 18", 18, true)]
    [InlineData("Grow average seats per account", 18, false)]
    [InlineData("Cut ingestion lag from 45 minutes", 5, false)] // the 5 of 45 is not the target
    [InlineData("Reach 1.5 million users", 1.5, true)]
    [InlineData("Reach 11.5 million users", 1.5, false)]
    public void TheTargetColumnIsLeftOutOnlyWhenTheTitleSaysIt(string title, double target, bool stated)
    {
        var kr = new KeyResultDefinition("c:k", "c", title, new Owner(OwnerKind.Person, "p"), KeyResultKind.Increase, 0, target, "", null);
        Assert.Equal(stated, WallScorecard.TitleStatesTarget(kr));
    }

    [Fact]
    public void AnObjectiveIsMarkedWhenItTurnsWorseAndNotWhenItRecovers()
    {
        var wall = new WallScorecard();
        Assert.False(wall.Turn("o", Status.OnTrack, T0)); // first sight: nothing to compare with
        Assert.True(wall.Turn("o", Status.AtRisk, T0.AddMinutes(1)));
        Assert.True(wall.Turn("o", Status.OffTrack, T0.AddMinutes(2)));
        Assert.False(wall.Turn("o", Status.AtRisk, T0.AddMinutes(3))); // better, though not on track
        Assert.False(wall.Turn("o", Status.OnTrack, T0.AddMinutes(4)));
    }
}
