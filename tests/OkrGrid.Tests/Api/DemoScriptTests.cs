using Microsoft.Extensions.Configuration;
using OkrGrid.Web.Seeding;

namespace OkrGrid.Tests.Api;

/// <summary>The demo activity's numbers stay plausible: within the key result's range, following the pace.</summary>
public sealed class DemoScriptTests
{
    private static KeyResultDefinition Kr(KeyResultKind kind, double start, double target, string id = "q:kr") =>
        new(id, "q", "T", new Owner(OwnerKind.Person, "p"), kind, start, target, "", null);

    private static NodeScore Score(KeyResultDefinition kr, double value) => Rules.ScoreKeyResult(kr, value, true, null, 0.5, ScoringPolicy.Default);

    [Theory]
    [InlineData(KeyResultKind.Increase, 0, 40)]
    [InlineData(KeyResultKind.Decrease, 6, 2)]
    public void NumbersStayInTheirRangeAndFollowThePace(KeyResultKind kind, double start, double target)
    {
        var random = new Random(7);
        foreach (var id in new[] { "q:a", "q:b", "q:c", "q:d" })
        {
            var kr = Kr(kind, start, target, id);
            NodeScore? score = null;
            // Two hundred check-ins at 60 % of the cycle: every value in range, and it ends near the pace (60 %, give
            // or take the key result's fixed lead of −25 % to +15 % and the noise).
            for (var i = 0; i < 200; i++)
            {
                var (value, note) = DemoScript.NextValue(kr, score, 0.6, random);
                Assert.InRange(value, Math.Min(start, target), Math.Max(start, target));
                Assert.False(string.IsNullOrWhiteSpace(note));
                score = Score(kr, value);
            }
            Assert.InRange(score!.Progress, 0.25, 0.85);
        }
    }

    [Fact]
    public void StayKindsMostlyHoldAndMilestonesAreDoneOrNot()
    {
        var random = new Random(11);
        var above = Kr(KeyResultKind.StayAtOrAbove, 0, 95);
        var holding = Enumerable.Range(0, 400).Count(_ => DemoScript.NextValue(above, null, 0.5, random).Value >= 95);
        Assert.InRange(holding, 300, 390); // a breach about one time in eight

        var milestone = Kr(KeyResultKind.Milestone, 0, 1);
        var values = Enumerable.Range(0, 200).Select(_ => DemoScript.NextValue(milestone, null, 0.5, random).Value).ToList();
        Assert.All(values, v => Assert.Contains(v, new[] { 0.0, 1.0 }));
        Assert.Contains(1.0, values);
        Assert.True(DemoScript.Finished(milestone, Score(milestone, 1)));
        Assert.False(DemoScript.Finished(milestone, Score(milestone, 0)));
    }

    [Theory]
    [InlineData(KeyResultKind.StayAtOrAbove, 99.9, "%")] // the demo's API uptime
    [InlineData(KeyResultKind.StayAtOrAbove, 99, "%")]   // pipeline success rate
    [InlineData(KeyResultKind.StayAtOrAbove, 100, "%")]
    [InlineData(KeyResultKind.StayAtOrBelow, 0.5, "%")]
    [InlineData(KeyResultKind.StayAtOrBelow, 0, "incidents")]
    [InlineData(KeyResultKind.StayAtOrBelow, 1, "incidents")]
    public void StayKindsKeepToWhatTheirUnitAllowsAndStillMostlyHold(KeyResultKind kind, double target, string unit)
    {
        var random = new Random(5);
        var kr = Kr(kind, target, target) with { Unit = unit };
        var values = Enumerable.Range(0, 400).Select(_ => DemoScript.NextValue(kr, null, 0.5, random).Value).ToList();
        Assert.All(values, v => Assert.InRange(v, 0, unit == "%" ? 100 : double.MaxValue));
        var holding = values.Count(v => kind == KeyResultKind.StayAtOrAbove ? v >= target : v <= target);
        Assert.InRange(holding, 300, 400);
        // Not pinned to the line or the bound: a wall shows the numbers move.
        Assert.True(values.Distinct().Count() > 3 || target is 100 or 0, string.Join(", ", values.Distinct()));
    }

    [Fact]
    public void ConfidenceFollowsTheGapToThePace()
    {
        var random = new Random(3);
        var ahead = Enumerable.Range(0, 50).Average(_ => DemoScript.Confidence(0.8, 0.5, random));
        var behind = Enumerable.Range(0, 50).Average(_ => DemoScript.Confidence(0.2, 0.5, random));
        Assert.True(ahead > behind + 0.4, $"ahead {ahead}, behind {behind}");
        Assert.All(Enumerable.Range(0, 50), _ => Assert.InRange(DemoScript.Confidence(random.NextDouble(), random.NextDouble(), random), 0.1, 0.95));
    }

    [Fact]
    public void SettingsFallBackToTheDefaultsWhenMalformed()
    {
        static DemoActivitySettings Read(string? enabled, string? seconds, out string? problem) =>
            DemoActivitySettings.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                [DemoActivitySettings.EnabledKey] = enabled,
                [DemoActivitySettings.IntervalKey] = seconds,
            }).Build(), out problem);

        Assert.Equal(new DemoActivitySettings(false, TimeSpan.FromSeconds(3)), Read(null, null, out var none));
        Assert.Null(none);
        Assert.Equal(new DemoActivitySettings(true, TimeSpan.FromSeconds(0.5)), Read("true", "0.5", out _));
        Assert.Equal(new DemoActivitySettings(true, TimeSpan.FromSeconds(3)), Read("true", "0", out var tooFast));
        Assert.Contains(DemoActivitySettings.IntervalKey, tooFast);
        Assert.Equal(new DemoActivitySettings(false, TimeSpan.FromSeconds(2)), Read("yes please", "2", out var notBool));
        Assert.Contains(DemoActivitySettings.EnabledKey, notBool);
    }
}
