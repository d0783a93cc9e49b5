namespace OkrGrid.Tests.Scoring;

[Trait("Category", "Fast")]
public class KeyResultInputTests
{
    private const int Precision = 9;
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly KeyResultDefinition Kr =
        new("c1:kr", "c1", "Grow sign-ups", Owner.Company("acme"), KeyResultKind.Increase, 12, 100, "users", null);

    private static readonly KeyResultDefinition KpiKr =
        new("c1:kpi-kr", "c1", "NPS", Owner.Company("acme"), KeyResultKind.KpiLinked, 20, 40, "", "nps");

    private static CheckIn At(int hour, double value, double? confidence = null, string id = "") =>
        new(id.Length > 0 ? id : $"ci-{hour}-{value}", value, confidence, "", "ann", T0.AddHours(hour));

    [Fact]
    public void TheLatestCheckInByTimeWinsWhateverTheArrivalOrder()
    {
        // Arrival order: 2h (30), 3h (50), 1h (70). The latest by time is 3h → 50.
        var input = KeyResultInput.FromCheckIns(Kr, [At(2, 30), At(3, 50), At(1, 70)]);
        Assert.True(input.HasValue);
        Assert.Equal(50.0, input.Current, Precision);
    }

    [Fact]
    public void TimeIsComparedAsAnInstantNotAsLocalClockTime()
    {
        // 10:30+02:00 is 08:30Z, earlier than 09:00Z, although its clock reads later.
        var utc = new CheckIn("a", 40, null, "", "ann", new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero));
        var local = new CheckIn("b", 60, null, "", "ann", new DateTimeOffset(2026, 1, 1, 10, 30, 0, TimeSpan.FromHours(2)));
        Assert.Equal(40.0, KeyResultInput.FromCheckIns(Kr, [utc, local]).Current, Precision);
        Assert.Equal(40.0, KeyResultInput.FromCheckIns(Kr, [local, utc]).Current, Precision);
    }

    [Fact]
    public void OnATimeTieTheLaterArrivalWins()
    {
        Assert.Equal(40.0, KeyResultInput.FromCheckIns(Kr, [At(2, 30, id: "a"), At(2, 40, id: "b")]).Current, Precision);
        Assert.Equal(30.0, KeyResultInput.FromCheckIns(Kr, [At(2, 40, id: "b"), At(2, 30, id: "a")]).Current, Precision);
        // An earlier check-in arriving last does not win against a tie before it.
        Assert.Equal(40.0, KeyResultInput.FromCheckIns(Kr, [At(2, 30), At(2, 40), At(1, 99)]).Current, Precision);
    }

    [Fact]
    public void ConfidenceComesFromTheLatestCheckInThatHadOne()
    {
        // 1h: 10 (0.9), 2h: 20 (0.4), 3h: 30 (none). Value from 3h, confidence from 2h; arrival shuffled.
        var input = KeyResultInput.FromCheckIns(Kr, [At(2, 20, 0.4), At(3, 30), At(1, 10, 0.9)]);
        Assert.Equal(30.0, input.Current, Precision);
        RulesTests.AssertClose(0.4, input.Confidence);
    }

    [Fact]
    public void ConfidenceOnATimeTieComesFromTheLaterArrival()
    {
        var input = KeyResultInput.FromCheckIns(Kr, [At(2, 20, 0.4, "a"), At(2, 25, 0.7, "b"), At(1, 5, 0.1)]);
        Assert.Equal(25.0, input.Current, Precision);
        RulesTests.AssertClose(0.7, input.Confidence);
    }

    [Fact]
    public void WithoutAnyConfidenceTheInputHasAValueButNoConfidence()
    {
        var input = KeyResultInput.FromCheckIns(Kr, [At(1, 10), At(2, 20)]);
        Assert.True(input.HasValue);
        Assert.Equal(20.0, input.Current, Precision);
        Assert.Null(input.Confidence);
    }

    [Fact]
    public void NoCheckInsStandAtTheStartWithNoData()
    {
        var input = KeyResultInput.FromCheckIns(Kr, []);
        Assert.False(input.HasValue);
        Assert.Equal(12.0, input.Current, Precision);
        Assert.Null(input.Confidence);
        Assert.Equal(KeyResultInput.Initial(Kr), input);
    }

    [Fact]
    public void FromKpiWithAMeasurementUsesIt()
    {
        var input = KeyResultInput.FromKpi(KpiKr, 35, 0.6);
        Assert.True(input.HasValue);
        Assert.Equal(35.0, input.Current, Precision);
        RulesTests.AssertClose(0.6, input.Confidence);
    }

    [Fact]
    public void FromKpiWithoutAMeasurementStandsAtTheStartWithNoData()
    {
        var input = KeyResultInput.FromKpi(KpiKr, null, null);
        Assert.False(input.HasValue);
        Assert.Equal(20.0, input.Current, Precision);
        Assert.Null(input.Confidence);
    }

    [Fact]
    public void FromKpiWithoutAMeasurementKeepsAGivenConfidence()
    {
        var input = KeyResultInput.FromKpi(KpiKr, null, 0.3);
        Assert.False(input.HasValue);
        Assert.Equal(20.0, input.Current, Precision);
        RulesTests.AssertClose(0.3, input.Confidence);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ATimelineGivesTheInputOfItsCheckInsAsOfAnyInstant(int seed)
    {
        // Random check-ins in commit order — dates out of order, many ties (same hour, in other time zones too),
        // confidence given or not — appended in random chunks, asked as of every hour around them: the timeline
        // must answer exactly as the rule over the records (FromCheckIns).
        var random = new Random(seed);
        for (int round = 0; round < 200; round++)
        {
            var checkIns = new List<CheckIn>();
            var timeline = CheckInTimeline.Empty;
            var count = random.Next(0, 12);
            while (checkIns.Count < count)
            {
                var chunk = new List<CheckIn>();
                for (int i = random.Next(1, 4); i > 0 && checkIns.Count + chunk.Count < count; i--)
                {
                    var at = T0.AddHours(random.Next(0, 6)).ToOffset(TimeSpan.FromHours(random.Next(-3, 4)));
                    double? confidence = random.Next(3) == 0 ? null : Math.Round(random.NextDouble(), 2);
                    chunk.Add(new CheckIn($"ci-{checkIns.Count + chunk.Count}", random.Next(0, 120), confidence, "", "ann", at));
                }
                checkIns.AddRange(chunk);
                timeline = timeline.Append(chunk);
            }
            Assert.Equal(checkIns.Count, timeline.Count);
            Assert.Equal(KeyResultInput.FromCheckIns(Kr, checkIns), timeline.InputOf(Kr));
            for (int hour = -1; hour <= 6; hour++)
            {
                var asOf = T0.AddHours(hour).AddTicks(random.Next(-1, 2));
                Assert.Equal(KeyResultInput.FromCheckIns(Kr, checkIns, asOf), timeline.InputOf(Kr, asOf));
            }
        }
    }

    [Fact]
    public void AnOlderTimelineAppendedToAgainLeavesTheNewerOneAsItWas()
    {
        // Timelines share their items while appended in a line (room doubles: 1, 2, 4); appending to an older one
        // must not write over the item a newer one reads in the same room.
        var three = CheckInTimeline.Empty.Append(T0.AddHours(1), 10).Append(T0.AddHours(2), 20).Append(T0.AddHours(3), 30);
        var four = three.Append(T0.AddHours(4), 40);
        var branch = three.Append(T0.AddHours(5), 99);
        Assert.Equal((true, 40.0, (double?)null), four.LatestAsOf());
        Assert.Equal((true, 99.0, (double?)null), branch.LatestAsOf());
        Assert.Equal((true, 30.0, (double?)null), three.LatestAsOf());
        Assert.Equal((true, 20.0, (double?)null), four.LatestAsOf(T0.AddHours(2.5)));
        Assert.Equal((false, 0.0, (double?)null), four.LatestAsOf(T0));
        Assert.Equal(4, four.Count);
        Assert.Equal(4, branch.Count);
    }
}
