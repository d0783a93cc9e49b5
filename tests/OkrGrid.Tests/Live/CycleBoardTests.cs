using OkrGrid.Web.Live;

namespace OkrGrid.Tests.Live;

/// <summary>
/// What a host's board keeps when it re-reads a cycle: a score the cycle computed from the journal (version 0 — the node
/// is not active in the cycle's silo) against the score the board held from the feed. The cycle reads the version clock
/// just before it reads the facts (<see cref="CycleSnapshot.FactsVersion"/>); here that is <c>TakenAt</c>.
/// </summary>
[Trait("Category", "Fast")]
public sealed class CycleBoardTests
{
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset TakenAt = Start.AddDays(40);
    private const string Company = "q:company", Kr = "q:kr";

    private static CycleSnapshot Snapshot(double krValue, long krVersion, bool closed = false, bool live = true)
    {
        var objectives = ImmutableArray.Create(new ObjectiveDefinition(Company, "q", "Company", "", new(OwnerKind.Company, "co"), RollUpMode.KeyResultsAndObjectives));
        var keyResults = ImmutableArray.Create(new KeyResultDefinition(Kr, "q", "Logos", new(OwnerKind.Team, "red"), KeyResultKind.Increase, 0, 10, "", null));
        var edges = ImmutableArray.Create(new Edge(Company, Kr, 1));
        var cycle = new CycleInfo(new CycleDefinition("q", "Q4", Start, Start.AddDays(92)), closed, closed ? TakenAt : null);
        var scores = GraphScorer.Score(objectives, keyResults, edges, _ => new KeyResultInput(krValue, true, null),
            Rules.ExpectedProgress(cycle.Definition.Start, cycle.Definition.End, TakenAt), ScoringPolicy.Default)
            .ToDictionary(s => s.Key, s => s.Value with { Version = s.Key == Kr ? krVersion : 0 });
        return new CycleSnapshot(cycle, ScoringPolicy.Default, objectives, keyResults, edges, scores, TakenAt, 1,
            FactsVersion: closed || !live ? 0 : Versions.Of(TakenAt));
    }

    [Fact]
    public void AScoreFromFactsReplacesOnePublishedBeforeTheSnapshot()
    {
        // The board held 2/10 from a publication a minute before; the key result's last publication (8/10) died with its
        // silo, and the cycle now scores it from the journal.
        var held = new CycleBoard(Snapshot(2, Versions.Of(TakenAt.AddMinutes(-1))));
        var next = new CycleBoard(Snapshot(8, krVersion: 0), held);
        Assert.Equal(0.8, next.ScoreOf(Kr)!.Progress, 12);
        Assert.Equal(0.8, next.ScoreOf(Company)!.Progress, 12);
        // And the next publication of the live node, whenever it comes, replaces it.
        Assert.True(next.Apply(next.ScoreOf(Kr)! with { Progress = 0.9, Version = Versions.Of(TakenAt.AddSeconds(1)) }));
        Assert.Equal(0.9, next.ScoreOf(Kr)!.Progress, 12);
    }

    [Fact]
    public void AScorePublishedAfterTheSnapshotStands()
    {
        // Published while the snapshot was being read (facts the snapshot may not hold): the board keeps it.
        var held = new CycleBoard(Snapshot(3, Versions.Of(TakenAt.AddSeconds(2))));
        var next = new CycleBoard(Snapshot(8, krVersion: 0), held);
        Assert.Equal(0.3, next.ScoreOf(Kr)!.Progress, 12);
    }

    [Fact]
    public void AClosedCyclesFrozenGradesDoNotReplaceWhatTheBoardHeld()
    {
        var held = new CycleBoard(Snapshot(2, Versions.Of(TakenAt.AddMinutes(-1)), closed: true));
        var next = new CycleBoard(Snapshot(8, krVersion: 0, closed: true), held);
        Assert.Equal(0.2, next.ScoreOf(Kr)!.Progress, 12);
    }

    [Fact]
    public void AScorePublishedWithinTheClockSkewBeforeTheSnapshotStands()
    {
        // Half a second before the facts were read, on another silo's clock: it may hold a check-in the read did not see
        // if that clock runs ahead, so the board keeps it rather than go back.
        var held = new CycleBoard(Snapshot(3, Versions.Of(TakenAt.AddMilliseconds(-500))));
        var next = new CycleBoard(Snapshot(8, krVersion: 0), held);
        Assert.Equal(0.3, next.ScoreOf(Kr)!.Progress, 12);
    }

    [Fact]
    public void AScoreFromFactsOfNoLiveReadReplacesNothing()
    {
        // A snapshot that did not read live facts (FactsVersion 0) cannot say when its scores stand.
        var held = new CycleBoard(Snapshot(2, Versions.Of(TakenAt.AddMinutes(-1))));
        var next = new CycleBoard(Snapshot(8, krVersion: 0, live: false), held);
        Assert.Equal(0.2, next.ScoreOf(Kr)!.Progress, 12);
    }
}
