using OkrGrid.Domain.Planning;
using OkrGrid.Planning;
using OkrGrid.Web.Components.Planner;

namespace OkrGrid.Tests.Planning;

/// <summary>
/// The planner service's pure rules: which moves Apply applies and how its button reads (<see cref="ApplyPlan"/>), and
/// when the live structure takes a scenario's moves differently from its simulation (<see cref="StructureDrift"/>).
/// </summary>
public sealed class PlannerServiceTests
{
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private const string Co = "q:company", Red = "q:red", Blue = "q:blue", Green = "q:green", A = "q:a", B = "q:b", C = "q:c";

    private static readonly PlanMove First = new MoveKeyResult(A, Blue, null);
    private static readonly PlanMove Second = new RealignObjective(Red, [new ParentLink(Blue, 1)]);
    private static readonly PlanMove Third = new ChangeWeight(Co, Blue, 3);

    private static RejectedMove Left(int index, PlanMove move) => new(index, move, "parents[0].parentId", "would make a loop.");

    [Fact]
    public void ApplyCountsOnlyTheMovesItAppliesAndSaysWhatBecomesOfTheOnesLeftOut()
    {
        var plan = ApplyPlan.Of([First, Second, Third], [Left(1, Second)]);

        Assert.Equal([First, Third], plan.Applied);
        Assert.Equal([1], plan.LeftOut.Select(r => r.Index));
        Assert.Equal("Apply 2 moves", plan.Label);
        Assert.Null(plan.Blocked);
        Assert.Equal("1 move left out is not applied: applying removes it from the scenario.", plan.LeftOutNote);
    }

    [Fact]
    public void WithEveryMoveLeftOutOrNoneThereIsNothingToApplyAndTheReasonIsInWords()
    {
        var none = ApplyPlan.Of([], []);
        Assert.Equal("Apply", none.Label);
        Assert.Equal("Add a move first.", none.Blocked);
        Assert.Null(none.LeftOutNote);

        var one = ApplyPlan.Of([Second], [Left(0, Second)]);
        Assert.Empty(one.Applied);
        Assert.Equal("Apply", one.Label);
        Assert.Equal("Nothing to apply: the only move is left out.", one.Blocked);

        var two = ApplyPlan.Of([Second, First], [Left(0, Second), Left(1, First)]);
        Assert.Equal("Nothing to apply: all 2 moves are left out.", two.Blocked);
        Assert.Null(two.LeftOutNote);
    }

    [Fact]
    public void AllMovesApplyWhenNoneIsLeftOutAndARefusalOfAnotherListIsIgnored()
    {
        // An index the moves do not have (a simulation of a longer list) and a repeated one count once, or not at all.
        var plan = ApplyPlan.Of([First], [Left(3, Second), Left(7, Third)]);
        Assert.Equal("Apply 1 move", plan.Label);
        Assert.Empty(plan.LeftOut);
        Assert.Null(plan.LeftOutNote);

        var twice = ApplyPlan.Of([First, Second], [Left(1, Second), Left(1, Second)]);
        Assert.Single(twice.LeftOut);
        Assert.Equal("Apply 1 move", twice.Label);
    }

    /// <summary>company ← red (a, b), blue (c); optional extra edges; key results at the given values out of 10.</summary>
    private static CycleSnapshot Snapshot(double a = 8, double b = 2, double c = 6, params Edge[] extra)
    {
        ObjectiveDefinition O(string id, string title, Owner owner) => new(id, "q", title, "", owner, RollUpMode.KeyResultsAndObjectives);
        KeyResultDefinition K(string id, string title) => new(id, "q", title, new(OwnerKind.Person, "pat"), KeyResultKind.Increase, 0, 10, "", null);
        var objectives = ImmutableArray.Create(
            O(Co, "Win the market", new(OwnerKind.Company, "co")),
            O(Red, "Red ships fast", new(OwnerKind.Team, "red")),
            O(Blue, "Blue delights", new(OwnerKind.Team, "blue")),
            O(Green, "Green grows", new(OwnerKind.Team, "green")));
        var keyResults = ImmutableArray.Create(K(A, "Ship A"), K(B, "Ship B"), K(C, "Ship C"));
        ImmutableArray<Edge> edges = [new Edge(Co, Red, 1), new Edge(Co, Blue, 1), new Edge(Red, A, 1), new Edge(Red, B, 1), new Edge(Blue, C, 1), .. extra];
        var values = new Dictionary<string, double> { [A] = a, [B] = b, [C] = c };
        var end = Start.AddDays(92);
        var at = Start.AddDays(46);
        var scores = GraphScorer.Score(objectives, keyResults, edges, kr => new KeyResultInput(values[kr.Id], true, null),
            Rules.ExpectedProgress(Start, end, at), ScoringPolicy.Default);
        return new CycleSnapshot(new CycleInfo(new CycleDefinition("q", "Q4", Start, end), false, null), ScoringPolicy.Default,
            objectives, keyResults, edges, scores, at);
    }

    private static ImmutableArray<string> Drift(CycleSnapshot simulatedOn, CycleSnapshot live, params PlanMove[] moves) =>
        StructureDrift.Between(Simulator.Simulate(simulatedOn, moves), Simulator.Simulate(live, moves), moves.Length, id => id, reason => reason);

    [Fact]
    public void CheckInsAloneNeverMakeTheMovesLandDifferently()
    {
        // Every score differs, the structure does not: what the demo's activity does all day.
        Assert.Empty(Drift(Snapshot(), Snapshot(a: 1, b: 9, c: 0), First, Second));
    }

    [Fact]
    public void AStructureChangeAwayFromTheMovesChainsDoesNotCount()
    {
        // Green joins the company: a new child of an objective the moves reach, but no chain of theirs changes.
        Assert.Empty(Drift(Snapshot(), Snapshot(extra: new Edge(Co, Green, 1)), First));
    }

    [Fact]
    public void AMoveTheLiveStructureNowRefusesIsNamedWithItsReason()
    {
        // Live, blue hangs under red too: re-aligning red under blue would now make a loop.
        var changes = Drift(Snapshot(), Snapshot(extra: new Edge(Red, Blue, 1)), First, Second);
        Assert.Contains(changes, c => c.StartsWith("Move 2 would now be left out: ", StringComparison.Ordinal) && c.Contains("loop", StringComparison.Ordinal));
        Assert.DoesNotContain(changes, c => c.StartsWith("Move 1 ", StringComparison.Ordinal));
    }

    [Fact]
    public void AnObjectiveThatJoinsOrLeavesTheChainsIsNamedAndTheReverseChangeClearsIt()
    {
        // Live, blue also counts in green: moving a key result under blue now reaches green too.
        var simulatedOn = Snapshot();
        var live = Snapshot(extra: new Edge(Green, Blue, 1));
        Assert.Equal([$"“{Green}” is now above what the moves change."], Drift(simulatedOn, live, First));
        Assert.Equal([$"“{Green}” is no longer above what the moves change."], Drift(live, simulatedOn, First));
        // Back as it was: nothing to say any more.
        Assert.Empty(Drift(simulatedOn, Snapshot(a: 3), First));
    }

    [Fact]
    public void AMoveNoLongerRefusedIsNamedToo()
    {
        var changes = Drift(Snapshot(extra: new Edge(Red, Blue, 1)), Snapshot(), Second);
        Assert.Contains("Move 1 is no longer left out.", changes);
    }
}
