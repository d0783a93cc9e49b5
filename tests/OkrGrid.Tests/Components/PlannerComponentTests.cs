using Bunit;
using OkrGrid.Domain.Planning;
using OkrGrid.Planning;
using OkrGrid.Web.Components.Planner;

namespace OkrGrid.Tests.Components;

/// <summary>The planner's presentational pieces: the impact table, the moves with their reasons, the chain tree.</summary>
public sealed class PlannerComponentTests : MudContext
{
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private const string Co = "q:company", Red = "q:red", Blue = "q:blue", A = "q:a", B = "q:b", C = "q:c";

    /// <summary>company ← red (a 80 %, b 20 %) and blue (c 60 %): red 0.5, blue 0.6, company 0.55.</summary>
    private static CycleSnapshot Snapshot()
    {
        ObjectiveDefinition O(string id, string title, Owner owner) => new(id, "q", title, "", owner, RollUpMode.KeyResultsAndObjectives);
        KeyResultDefinition K(string id, string title, Owner owner) => new(id, "q", title, owner, KeyResultKind.Increase, 0, 10, "", null);
        var objectives = ImmutableArray.Create(
            O(Co, "Win the market", new(OwnerKind.Company, "co")),
            O(Red, "Red ships fast", new(OwnerKind.Team, "red")),
            O(Blue, "Blue delights", new(OwnerKind.Team, "blue")));
        var keyResults = ImmutableArray.Create(
            K(A, "Ship A", new(OwnerKind.Person, "pat")), K(B, "Ship B", new(OwnerKind.Person, "pat")), K(C, "Ship C", new(OwnerKind.Team, "blue")));
        var edges = ImmutableArray.Create(new Edge(Co, Red, 1), new Edge(Co, Blue, 1), new Edge(Red, A, 1), new Edge(Red, B, 1), new Edge(Blue, C, 1));
        var values = new Dictionary<string, double> { [A] = 8, [B] = 2, [C] = 6 };
        var end = Start.AddDays(92);
        var at = Start.AddDays(46);
        var scores = GraphScorer.Score(objectives, keyResults, edges, kr => new KeyResultInput(values[kr.Id], true, null),
            Rules.ExpectedProgress(Start, end, at), ScoringPolicy.Default);
        return new CycleSnapshot(new CycleInfo(new CycleDefinition("q", "Q4", Start, end), false, null), ScoringPolicy.Default,
            objectives, keyResults, edges, scores, at);
    }

    private static OrganisationView Organisation() => new("co", "Acme",
        [new Team("red", "Red", null), new Team("blue", "Blue", null)], [new Person("pat", "Pat Lee", "red")],
        ScoringPolicy.Default, [], []);

    private static NodeImpact Impact(string id, double before, double after, Status statusBefore, Status statusAfter, bool oldChain = false, bool newChain = false) =>
        new(id, id, Score(id, before, statusBefore, kind: NodeKind.Objective), Score(id, after, statusAfter, kind: NodeKind.Objective), oldChain, newChain);

    [Fact]
    public void ImpactTableSortsByTheSizeOfTheChangeAndColoursItsDirection()
    {
        ImmutableArray<NodeImpact> impacts =
        [
            Impact("q:small", 0.50, 0.52, Status.OnTrack, Status.OnTrack, newChain: true),
            Impact("q:none", 0.40, 0.40, Status.AtRisk, Status.AtRisk, oldChain: true, newChain: true),
            Impact("q:big-down", 0.60, 0.35, Status.OnTrack, Status.OffTrack, oldChain: true),
            Impact("q:mid-up", 0.30, 0.42, Status.AtRisk, Status.AtRisk, newChain: true),
        ];

        var cut = Render<ImpactTable>(p => p.Add(c => c.Impacts, impacts));

        var rows = cut.FindAll(".okr-impact__row");
        Assert.Equal(["q:big-down", "q:mid-up", "q:small", "q:none"], rows.Select(r => r.GetAttribute("data-node")));
        Assert.Contains("okr-impact__row--down", rows[0].ClassList);
        Assert.Contains("okr-impact__row--up", rows[1].ClassList);
        Assert.Contains("okr-impact__row--flat", rows[3].ClassList);
        Assert.Equal("▼ −25.0 pts", Normalize(rows[0].QuerySelector(".okr-delta")!.TextContent));
        Assert.Contains("okr-delta--down", rows[0].QuerySelector(".okr-delta")!.ClassList);
        Assert.Equal("▲ +12.0 pts", Normalize(rows[1].QuerySelector(".okr-delta")!.TextContent));
        Assert.Contains("okr-delta--up", rows[1].QuerySelector(".okr-delta")!.ClassList);
        Assert.Equal("±0", Normalize(rows[3].QuerySelector(".okr-delta")!.TextContent));
        // Before → after, and the status change as two chips.
        Assert.Equal("60%", rows[0].QuerySelector(".okr-impact__before .okr-impact__pct")!.TextContent);
        Assert.Equal("35%", rows[0].QuerySelector(".okr-impact__after .okr-impact__pct")!.TextContent);
        Assert.Equal("OnTrack->OffTrack", rows[0].QuerySelector("[data-status-change]")!.GetAttribute("data-status-change"));
        Assert.Equal(2, rows[0].QuerySelectorAll(".okr-status").Length);
        Assert.Single(rows[1].QuerySelectorAll(".okr-status"));
        // Chain badges: old, new, both.
        Assert.Equal(["old", "new", "new", "both"], rows.Select(r => r.QuerySelector(".okr-chain")!.GetAttribute("data-chain")));
    }

    [Fact]
    public void ImpactTableShowsTheLiveValueBesideTheSimulatedOneOnceApplied()
    {
        var cut = Render<ImpactTable>(p => p
            .Add(c => c.Impacts, [Impact("q:x", 0.4, 0.5, Status.AtRisk, Status.OnTrack), Impact("q:y", 0.4, 0.3, Status.AtRisk, Status.AtRisk)])
            .Add(c => c.LiveScoreOf, id => Score(id, id == "q:x" ? 0.5 : 0.31, Status.OnTrack, kind: NodeKind.Objective)));

        Assert.Contains("as simulated", cut.Find("[data-node='q:x'] .okr-impact__live").TextContent);
        Assert.DoesNotContain("as simulated", cut.Find("[data-node='q:y'] .okr-impact__live").TextContent);
        Assert.Equal("31%", cut.Find("[data-node='q:y'] .okr-impact__live .okr-live").TextContent);
    }

    [Fact]
    public void ARejectedMoveShowsItsFieldAndReasonInPlaceWithTitlesForIds()
    {
        var context = new PlanContext(Snapshot(), Organisation());
        ImmutableArray<PlanMove> moves = [new MoveKeyResult(B, Blue), new RealignObjective(Co, [new ParentLink(Red, 1)])];
        var simulation = Simulator.Simulate(context.Snapshot, moves);
        var removed = new List<int>();

        var cut = Render<MoveList>(p => p
            .Add(c => c.Moves, moves)
            .Add(c => c.Rejected, simulation.Rejected)
            .Add(c => c.Context, context)
            .Add(c => c.OnRemove, (int i) => removed.Add(i)));

        var items = cut.FindAll(".okr-move");
        Assert.Equal(2, items.Count);
        Assert.DoesNotContain("okr-move--rejected", items[0].ClassList);
        Assert.Equal("Move Ship B from Red ships fast to Blue delights", Normalize(items[0].QuerySelector(".okr-move__text")!.TextContent));
        Assert.Contains("okr-move--rejected", items[1].ClassList);
        Assert.Equal("parents[0].parentId", items[1].QuerySelector(".okr-move__field")!.TextContent);
        var reason = items[1].QuerySelector(".okr-move__reason")!.TextContent;
        Assert.Contains("would make a loop", reason);
        Assert.Contains("“Red ships fast” is aligned under “Win the market”", reason);

        cut.FindAll(".okr-move__remove")[1].Click();
        Assert.Equal([1], removed);
    }

    [Fact]
    public void TheTreeMarksTheOldAndNewChainsAndWhereTheMovedNodeLeavesAndJoins()
    {
        var context = new PlanContext(Snapshot(), Organisation());
        ImmutableArray<PlanMove> moves = [new MoveKeyResult(B, Blue, 2)];
        var simulation = Simulator.Simulate(context.Snapshot, moves);
        var roots = PlanTree.Build(context, context.Graph, context.After(moves, simulation.Rejected), simulation.Impacts, [B]);

        var cut = Render<PlanTreeView>(p => p.Add(c => c.Roots, roots));

        var company = cut.Find($".okr-plantree__node[data-node='{Co}']");
        Assert.Equal("both", company.GetAttribute("data-chain"));
        Assert.Equal("old", cut.Find($"[data-node='{Red}']").GetAttribute("data-chain"));
        Assert.Equal("new", cut.Find($"[data-node='{Blue}']").GetAttribute("data-chain"));
        var leaving = cut.Find($"[data-node='{Red}'] > .okr-plantree__list > [data-node='{B}']");
        Assert.Equal("removed", leaving.GetAttribute("data-edge"));
        Assert.Contains("leaves", leaving.TextContent);
        var joining = cut.Find($"[data-node='{Blue}'] > .okr-plantree__list > [data-node='{B}']");
        Assert.Equal("added", joining.GetAttribute("data-edge"));
        Assert.Contains("joins · ×2", Normalize(joining.TextContent));
        // Only the affected part: a and c stay out; the objectives show before → after.
        Assert.Empty(cut.FindAll($"[data-node='{A}']"));
        Assert.Empty(cut.FindAll($"[data-node='{C}']"));
        Assert.Contains("50% → 80%", Normalize(cut.Find($"[data-node='{Red}'] > .okr-plantree__row").TextContent));
        Assert.Contains("Old chain", cut.Find(".okr-plantree__legend").TextContent);
        Assert.Contains("New chain", cut.Find(".okr-plantree__legend").TextContent);
    }

    [Fact]
    public void AnObjectiveLeftAlignedToNothingShowsAsARootToo()
    {
        var context = new PlanContext(Snapshot(), Organisation());
        ImmutableArray<PlanMove> moves = [new RealignObjective(Blue, [])];
        var simulation = Simulator.Simulate(context.Snapshot, moves);
        var roots = PlanTree.Build(context, context.Graph, context.After(moves, simulation.Rejected), simulation.Impacts, [Blue]);

        Assert.Equal([Co, Blue], roots.Select(r => r.Id));
        Assert.Equal(EdgeChange.Removed, Assert.Single(roots[0].Children).Edge);
        Assert.Equal(EdgeChange.Root, roots[1].Edge);
        Assert.True(roots[1].Subject);
    }

    [Fact]
    public void SearchFindsByTitleOrOwnerIgnoringCaseAndAccents()
    {
        var context = new PlanContext(Snapshot(), Organisation() with { People = [new Person("pat", "Pát Lee", "red")] });

        Assert.Equal([A, B], PlanContext.Search(context.KeyResults, "pat").Select(o => o.Id));
        Assert.Equal([B], PlanContext.Search(context.KeyResults, "ship b pat").Select(o => o.Id));
        Assert.Equal([C], PlanContext.Search(context.KeyResults, "BLUE").Select(o => o.Id));
        Assert.Equal("Red ships fast", context.KeyResults.Single(o => o.Id == A).ParentTitle);
    }

    [Theory]
    [InlineData(0.05, "+5.0 pts", "up")]
    [InlineData(-0.1234, "−12.3 pts", "down")]
    [InlineData(0.0001, "±0", "flat")]
    public void PointsReadWithASignAndADirection(double delta, string text, string direction)
    {
        Assert.Equal(text, PlanFmt.Points(delta));
        Assert.Equal(direction, PlanFmt.Direction(delta));
    }

    [Fact]
    public void ScenarioIdsAreReadableAndUnique()
    {
        var a = ScenarioIds.New("Q4: Growth shuffle!");
        var b = ScenarioIds.New("Q4: Growth shuffle!");
        Assert.Matches("^q4-growth-shuffle-[0-9a-f]{6}$", a);
        Assert.NotEqual(a, b);
        Assert.Matches("^scenario-[0-9a-f]{6}$", ScenarioIds.New("???"));
    }

    [Fact]
    public void ManyTeamsAreFoldedKeepingTheOnesTheMovesChange()
    {
        // Ten teams of shares 0.19, 0.17, …, 0.01; the moves take 0.02 from the largest and give it to the smallest.
        var names = Enumerable.Range(0, 10).Select(i => $"Team {i}").ToList();
        var before = names.Select((n, i) => new TeamShare(n, n, 0.19 - 0.02 * i)).ToImmutableArray();
        var after = before.Select(t => t.Name == "Team 0" ? t with { Share = 0.17 } : t.Name == "Team 9" ? t with { Share = 0.03 } : t).ToImmutableArray();
        var summary = (ImmutableArray<TeamShare> shares) => new AlignmentSummary(1, [],
            [new CompanyObjectiveAlignment(Co, "Win the market", 9, [.. shares.OrderByDescending(t => t.Share)], [], [])]);

        var cut = Render<AlignmentEffects>(p => p.Add(c => c.Before, summary(before)).Add(c => c.After, summary(after)));

        var rows = cut.FindAll(".okr-effects__team");
        Assert.Equal(AlignmentEffects.TeamsShown, rows.Count);
        // Both changed teams are there (the smallest too), then the largest, then the rest added up.
        Assert.Equal(["Team 0", "Team 1", "Team 2", "Team 3", "Team 9", AlignmentEffects.Others(5)], rows.Select(r => r.GetAttribute("data-team")));
        Assert.Contains("1% → 3%", Normalize(rows[4].TextContent));
        Assert.Contains("35%", Normalize(rows[5].TextContent)); // teams 4–8: 0.11 + 0.09 + 0.07 + 0.05 + 0.03
        Assert.Contains("#cbd5e1", rows[5].QuerySelector("i")!.GetAttribute("style")); // the folded line is grey
        Assert.DoesNotContain("#cbd5e1", rows[4].QuerySelector("i")!.GetAttribute("style"));
    }

    [Fact]
    public void KeyResultsThatNoLongerCountAreNamedUpToTheLimitAndTheRestAddedUp()
    {
        // Twenty key results of 5 % each count before; after, none does (their objective was re-aligned elsewhere).
        var before = Enumerable.Range(0, 20)
            .Select(i => new KeyResultInfluence($"q:k{i}", $"Key result {i}", new Owner(OwnerKind.Team, "red"), 0.05, 0.5)).ToImmutableArray();
        var cut = Render<SensitivityList>(p => p.Add(c => c.Sensitivity, new Sensitivity(Co, "Win the market", before, [])));

        var gone = cut.FindAll(".okr-sens__gone-item");
        Assert.Equal(8, gone.Count);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"q:k{i}"), gone.Select(g => g.GetAttribute("data-kr")));
        Assert.Equal("…and 12 more key results, 60% in all.", Normalize(cut.Find(".okr-sens__gone-more").TextContent));
    }

    [Fact]
    public void ALargeCyclesTreeShowsTwoLevelsAndTheWayToTheCurrentParentAndOpensTheRestOnDemand()
    {
        // A company objective over 8 departments, each over 8 teams (73 objectives: more than are shown whole).
        ObjectiveDefinition O(string id, Owner owner) => new(id, "q", id, "", owner, RollUpMode.KeyResultsAndObjectives);
        var objectives = new List<ObjectiveDefinition> { O("q:co", new(OwnerKind.Company, "co")) };
        var edges = new List<Edge>();
        for (int d = 0; d < 8; d++)
        {
            objectives.Add(O($"q:d{d}", new(OwnerKind.Team, "red")));
            edges.Add(new Edge("q:co", $"q:d{d}", 1));
            for (int t = 0; t < 8; t++)
            {
                objectives.Add(O($"q:d{d}t{t}", new(OwnerKind.Team, "blue")));
                edges.Add(new Edge($"q:d{d}", $"q:d{d}t{t}", 1));
            }
        }
        Assert.True(objectives.Count > ObjectivePicker.ShownWhole);
        var snapshot = new CycleSnapshot(new CycleInfo(new CycleDefinition("q", "Q4", Start, Start.AddDays(92)), false, null), ScoringPolicy.Default,
            [.. objectives], [], [.. edges], new Dictionary<string, NodeScore>(), Start);
        var context = new PlanContext(snapshot, Organisation());

        var cut = Render<ObjectivePicker>(p => p.Add(c => c.Context, context).Add(c => c.Current, ["q:d3t5"]));
        string[] Shown() => [.. cut.FindAll(".okr-picker__item").Select(b => b.GetAttribute("data-option")!)];

        // The company objective, its departments, and department 3 open down to the current parent.
        Assert.Equal(["q:co", "q:d0", "q:d1", "q:d2", "q:d3", .. Enumerable.Range(0, 8).Select(t => $"q:d3t{t}"), "q:d4", "q:d5", "q:d6", "q:d7"], Shown());
        Assert.Contains("8 under it", cut.Find("[data-option='q:d0']").TextContent);
        cut.Find("[data-toggle='q:d0']").Click();
        Assert.Equal(1 + 8 + 8 + 8, Shown().Length); // department 0's teams too
        cut.Find("[data-toggle='q:d3']").Click();
        Assert.Equal(1 + 8 + 8, Shown().Length); // department 3 closed, though the current parent is under it
        Assert.DoesNotContain("q:d3t5", Shown());
    }

    private static string Normalize(string text) => string.Join(' ', text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
}
