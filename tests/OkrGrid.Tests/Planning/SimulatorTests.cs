using OkrGrid.Domain.Planning;
using OkrGrid.Planning;

namespace OkrGrid.Tests.Planning;

public sealed class SimulatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = Start.AddDays(92);
    private const string C = "q:company", T1 = "q:t1", T2 = "q:t2", A = "q:a", B = "q:b", Cr = "q:c";

    // company ← t1 (a: 8/10, b: 2/10) and t2 (c: 6/10), all weights 1.
    // Before: t1 = (0.8 + 0.2) / 2 = 0.5, t2 = 0.6, company = (0.5 + 0.6) / 2 = 0.55.
    private static CycleSnapshot HandMade(bool closed = false)
    {
        // t1 is team red's, t2 team blue's; a and b are owned by Pat (of red), c by team blue.
        ObjectiveDefinition O(string id, Owner owner) => new(id, "q", id, "", owner, RollUpMode.KeyResultsAndObjectives);
        KeyResultDefinition K(string id, Owner owner) => new(id, "q", id, owner, KeyResultKind.Increase, 0, 10, "", null);
        var objectives = ImmutableArray.Create(O(C, new(OwnerKind.Company, "co")), O(T1, new(OwnerKind.Team, "red")), O(T2, new(OwnerKind.Team, "blue")));
        var pat = new Owner(OwnerKind.Person, "pat");
        var keyResults = ImmutableArray.Create(K(A, pat), K(B, pat), K(Cr, new(OwnerKind.Team, "blue")));
        var edges = ImmutableArray.Create(new Edge(C, T1, 1), new Edge(C, T2, 1), new Edge(T1, A, 1), new Edge(T1, B, 1), new Edge(T2, Cr, 1));
        var values = new Dictionary<string, double> { [A] = 8, [B] = 2, [Cr] = 6 };
        var at = Start.AddDays(46);
        var elapsed = Rules.ExpectedProgress(Start, End, at);
        var scores = GraphScorer.Score(objectives, keyResults, edges, kr => new KeyResultInput(values[kr.Id], true, null), elapsed, ScoringPolicy.Default);
        var cycle = new CycleInfo(new CycleDefinition("q", "Q4", Start, End), closed, closed ? at : null);
        return new CycleSnapshot(cycle, ScoringPolicy.Default, objectives, keyResults, edges, scores, at);
    }

    [Fact]
    public void MovingAKeyResultChangesBothChainsByHandCheckedAmounts()
    {
        // b (0.2) moves from t1 to t2: t1 = 0.8 (+0.3), t2 = (0.6 + 0.2) / 2 = 0.4 (−0.2), company = (0.8 + 0.4) / 2 = 0.6 (+0.05).
        var result = Simulator.Simulate(HandMade(), [new MoveKeyResult(B, T2)]);

        Assert.Empty(result.Rejected);
        Assert.Equal(1, result.AppliedMoves);
        Assert.Equal([T1, T2, C], result.Impacts.Select(i => i.NodeId)); // sorted by the size of the change
        var byId = result.Impacts.ToDictionary(i => i.NodeId);
        Assert.Equal(0.5, byId[T1].Before.Progress, 12);
        Assert.Equal(0.8, byId[T1].After.Progress, 12);
        Assert.Equal(0.6, byId[T2].Before.Progress, 12);
        Assert.Equal(0.4, byId[T2].After.Progress, 12);
        Assert.Equal(0.55, byId[C].Before.Progress, 12);
        Assert.Equal(0.6, byId[C].After.Progress, 12);
        Assert.Equal(0.05, byId[C].Delta, 12);
        Assert.True(byId[T1].OnOldChain && !byId[T1].OnNewChain);
        Assert.True(byId[T2].OnNewChain && !byId[T2].OnOldChain);
        Assert.True(byId[C].OnOldChain && byId[C].OnNewChain);
    }

    [Fact]
    public void WeightsAndRealignmentsCompose()
    {
        // c's weight in t2 becomes 3 (t2 stays 0.6: one child), t2 is realigned under t1 with weight 2:
        // t1 = (0.8·1 + 0.2·1 + 0.6·2) / 4 = 0.55; company has t1 only = 0.55.
        var result = Simulator.Simulate(HandMade(), [new ChangeWeight(T2, Cr, 3), new RealignObjective(T2, [new ParentLink(T1, 2)])]);

        Assert.Empty(result.Rejected);
        var byId = result.Impacts.ToDictionary(i => i.NodeId);
        Assert.Equal(0.55, byId[T1].After.Progress, 12);
        Assert.Equal(0.6, byId[T2].After.Progress, 12);
        Assert.Equal(0.55, byId[C].After.Progress, 12);
    }

    [Fact]
    public void EveryInvalidMoveIsReportedWithItsReasonAndLeftOut()
    {
        PlanMove[] moves =
        [
            new RealignObjective(C, [new ParentLink(T1)]),          // 0: loop through its own child
            new RealignObjective(T1, [new ParentLink(T1)]),         // 1: onto itself
            new MoveKeyResult(B, "other:t9"),                       // 2: a parent in another cycle
            new MoveKeyResult("q:nope", T2),                        // 3: unknown key result
            new MoveKeyResult(B, A),                                // 4: a key result as parent
            new ChangeWeight(T1, A, -1),                            // 5: negative weight
            new MoveKeyResult(A, T1),                               // 6: already there
            new MoveKeyResult(B, T2),                               // 7: valid
        ];
        var result = Simulator.Simulate(HandMade(), moves);

        Assert.Equal(1, result.AppliedMoves);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], result.Rejected.Select(r => r.Index));
        var reasons = result.Rejected.ToDictionary(r => r.Index);
        Assert.Equal("parents[0].parentId", reasons[0].Field);
        Assert.Contains("would make a loop", reasons[0].Reason);
        Assert.Contains("cannot align to itself", reasons[1].Reason);
        Assert.Equal("objectiveId", reasons[2].Field);
        Assert.Contains("belongs to cycle 'other'", reasons[2].Reason);
        Assert.Equal("keyResultId", reasons[3].Field);
        Assert.Contains("only objectives can be parents", reasons[4].Reason);
        Assert.Equal("weight", reasons[5].Field);
        Assert.Contains("already under", reasons[6].Reason);
        // The valid move's result is as if it were alone.
        Assert.Equal(0.6, result.Impacts.Single(i => i.NodeId == C).After.Progress, 12);
    }

    private static readonly OrganisationView Organisation = new("co", "Acme", [new("red", "Red", null), new("blue", "Blue", null)],
        [new("pat", "Pat", "red")], ScoringPolicy.Default, [], []);

    [Fact]
    public void InfluenceIsTheProductOfSharesAlongEveryPath()
    {
        var graph = new PlanGraph(HandMade());
        var ranked = Influence.Ranked(graph, C, HandMade().Scores);
        // c carries all of t2 (half of the company); a and b half of t1 each: a quarter.
        Assert.Equal([Cr, A, B], ranked.Select(k => k.KeyResultId));
        Assert.Equal([0.5, 0.25, 0.25], ranked.Select(k => k.Influence));

        // A second path: t2 aligned under t1 as well makes c count directly (½) and through t1 (½ · ⅓).
        graph.Apply(new RealignObjective(T2, [new ParentLink(C), new ParentLink(T1)]));
        var influence = Influence.Below(graph, C);
        Assert.Equal(0.5 + 0.5 / 3, influence[Cr], 12);
        Assert.Equal(0.5 / 3, influence[A], 12);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void InfluenceIsTheDerivativeOfTheRollUp(int seed)
    {
        // Bump one key result's progress a little: the company objective moves by its influence times the bump.
        var rng = new Random(seed);
        var graph = PureGraph.Generate(rng, objectives: 30, keyResults: 60);
        var values = graph.KeyResults.ToDictionary(k => k.Id, _ => 1 + rng.NextDouble() * 8); // inside (0, 1): no clamping
        var elapsed = 0.5;
        var plan = new PlanGraph(new CycleSnapshot(new CycleInfo(graph.Cycle, false, null), ScoringPolicy.Default,
            [.. graph.Objectives], [.. graph.KeyResults], [.. graph.Edges], new Dictionary<string, NodeScore>(), graph.At));
        var root = graph.Objectives[0].Id;
        var influence = Influence.Below(plan, root);
        double RootWith(Dictionary<string, double> v) => GraphScorer.Score(graph.Objectives, graph.KeyResults, graph.Edges,
            kr => new KeyResultInput(v[kr.Id], true, null), elapsed, ScoringPolicy.Default)[root].Progress;
        var baseline = RootWith(values);
        foreach (var kr in graph.KeyResults.Take(20))
        {
            var bumped = new Dictionary<string, double>(values) { [kr.Id] = values[kr.Id] + 0.1 }; // +0.01 progress
            var slope = (RootWith(bumped) - baseline) / 0.01;
            Assert.True(Math.Abs(slope - influence.GetValueOrDefault(kr.Id)) < 1e-9, $"seed {seed}, {kr.Id}: slope {slope} vs influence {influence.GetValueOrDefault(kr.Id)}");
        }
    }

    [Fact]
    public void AlignmentSummaryCountsAlignedObjectivesOrphansAndTeamShares()
    {
        var graph = new PlanGraph(HandMade());
        var before = AlignmentSummary.Of(graph, Organisation);
        Assert.Equal(1.0, before.AlignedShare);
        Assert.Empty(before.Orphans);
        var company = Assert.Single(before.CompanyObjectives);
        Assert.Equal(2, company.Contributors); // t1 and t2
        Assert.Equal([("Blue", 0.5), ("Red", 0.5)], company.TeamShares.Select(t => (t.Name, t.Share)));

        // b moves to t2: red keeps a (½ of t1 = ½) and b counts in t2 (¼): red ¾, blue ¼. t2 then loses its parent: orphan.
        graph.Apply(new MoveKeyResult(B, T2));
        Assert.Equal([("Red", 0.75), ("Blue", 0.25)], AlignmentSummary.Of(graph, Organisation).CompanyObjectives[0].TeamShares.Select(t => (t.Name, t.Share)));
        graph.Apply(new RealignObjective(T2, []));
        var after = AlignmentSummary.Of(graph, Organisation);
        Assert.Equal(0.5, after.AlignedShare);
        Assert.Equal([T2], after.Orphans);
        Assert.Equal(1, after.CompanyObjectives[0].Contributors);

        // The same two moves simulated: the index says which objective stopped contributing.
        var snapshot = HandMade();
        var basis = new PlanBasis(snapshot, Organisation);
        var simulated = basis.Alignment.After(basis.Run([new MoveKeyResult(B, T2), new RealignObjective(T2, [])]));
        Assert.Equal(1, simulated.CompanyObjectives[0].Contributors);
        Assert.Equal([T2], simulated.CompanyObjectives[0].Left);
        Assert.Empty(simulated.CompanyObjectives[0].Joined);
        Assert.Equal([T2], simulated.Orphans);
    }

    [Fact]
    public void AClosedCycleRefusesEveryMove()
    {
        var result = Simulator.Simulate(HandMade(closed: true), [new MoveKeyResult(B, T2)]);
        Assert.Equal(0, result.AppliedMoves);
        Assert.Equal("cycleId", Assert.Single(result.Rejected).Field);
        Assert.Empty(result.Impacts);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void OnRandomGraphsTheChainsScoreAsAWholeGraphRecomputation(int seed)
    {
        // The simulator scores only the chains; scoring the whole moved graph with GraphScorer must agree everywhere.
        var rng = new Random(seed);
        var graph = PureGraph.Generate(rng, objectives: 40, keyResults: 90);
        var elapsed = Rules.ExpectedProgress(graph.Cycle.Start, graph.Cycle.End, graph.At);
        var values = graph.KeyResults.ToDictionary(k => k.Id, _ => rng.NextDouble() * 10);
        KeyResultInput Input(KeyResultDefinition kr) => new(values[kr.Id], true, null);
        var scores = GraphScorer.Score(graph.Objectives, graph.KeyResults, graph.Edges, Input, elapsed, ScoringPolicy.Default);
        var snapshot = new CycleSnapshot(new CycleInfo(graph.Cycle, false, null), ScoringPolicy.Default,
            [.. graph.Objectives], [.. graph.KeyResults], [.. graph.Edges], scores, graph.At);

        var moves = new List<PlanMove>();
        for (int i = 0; i < 10; i++)
        {
            var objective = graph.Objectives[rng.Next(graph.Objectives.Count)].Id;
            moves.Add(rng.Next(3) switch
            {
                0 => new MoveKeyResult(graph.KeyResults[rng.Next(graph.KeyResults.Count)].Id, objective, rng.Next(4)),
                1 => new RealignObjective(objective, [new ParentLink(graph.Objectives[rng.Next(graph.Objectives.Count)].Id, 1 + rng.Next(3))]),
                _ => graph.Edges[rng.Next(graph.Edges.Count)] is var e ? new ChangeWeight(e.ParentId, e.ChildId, rng.Next(4)) : null!,
            });
        }
        var result = Simulator.Simulate(snapshot, moves);
        Assert.True(result.AppliedMoves > 0, $"seed {seed}: every move was refused");
        Assert.Contains(result.Impacts, i => Math.Abs(i.Delta) > 1e-9);

        var moved = new PlanGraph(snapshot);
        foreach (var (move, i) in moves.Select((m, i) => (m, i)))
            if (result.Rejected.All(r => r.Index != i)) moved.Apply(move);
        var whole = GraphScorer.Score(graph.Objectives, graph.KeyResults, moved.Edges, Input, elapsed, ScoringPolicy.Default);
        foreach (var impact in result.Impacts)
            Assert.True(Math.Abs(whole[impact.NodeId].Progress - impact.After.Progress) < 1e-12, $"seed {seed}: {impact.NodeId}");
        // And nothing outside the reported chains moved.
        var reported = result.Impacts.Select(i => i.NodeId).ToHashSet();
        foreach (var o in graph.Objectives.Where(o => !reported.Contains(o.Id)))
            Assert.True(Math.Abs(whole[o.Id].Progress - scores[o.Id].Progress) < 1e-12, $"seed {seed}: {o.Id} moved but was not reported");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    public void OneGraphServesManySimulationsAndTheAlignmentAfterIsTheMovedGraphs(int seed)
    {
        // The grain builds the graph and its alignment index once per snapshot and simulates every edit of the moves on
        // forks of it. Each simulation must equal one on a graph of its own, and the alignment worked out from the
        // index and the moves' effects must equal the alignment of the moved graph built from scratch.
        var rng = new Random(seed);
        var graph = PureGraph.Generate(rng, objectives: 40, keyResults: 90).WithOwners(rng);
        var elapsed = Rules.ExpectedProgress(graph.Cycle.Start, graph.Cycle.End, graph.At);
        var scores = GraphScorer.Score(graph.Objectives, graph.KeyResults, graph.Edges,
            _ => new KeyResultInput(rng.NextDouble() * 10, true, null), elapsed, ScoringPolicy.Default);
        var snapshot = new CycleSnapshot(new CycleInfo(graph.Cycle, false, null), ScoringPolicy.Default,
            [.. graph.Objectives], [.. graph.KeyResults], [.. graph.Edges], scores, graph.At);
        var basis = new PlanBasis(snapshot, Teams);
        var shared = basis.Graph;
        var index = basis.Alignment;
        var edgesBefore = shared.Edges.ToHashSet();

        for (int round = 0; round < 8; round++)
        {
            var moves = RandomMoves(rng, graph, count: 1 + rng.Next(6));
            var run = Simulator.Run(shared, snapshot, moves);
            var alone = Simulator.Simulate(snapshot, moves);
            Assert.Equal(alone.Impacts.Select(Row), run.Result.Impacts.Select(Row));
            Assert.Equal(alone.Rejected.Select(r => (r.Index, r.Field)), run.Result.Rejected.Select(r => (r.Index, r.Field)));

            var moved = new PlanGraph(snapshot);
            for (int i = 0; i < moves.Count; i++)
                if (run.Result.Rejected.All(r => r.Index != i)) moved.Apply(moves[i]);
            Assert.True(moved.Edges.ToHashSet().SetEquals(run.After.Edges), $"seed {seed}, round {round}: the fork's edges");
            var after = index.After(run);
            AssertSameAlignment(AlignmentSummary.Of(moved, Teams), after, $"seed {seed}, round {round}");
            // Who joins and who leaves each company objective's contributors: the objectives with a positive influence
            // on it (Influence, from scratch) after the moves and not before, and the other way round.
            foreach (var company in after.CompanyObjectives)
            {
                var was = Contributors(new PlanGraph(snapshot), company.ObjectiveId);
                var now = Contributors(moved, company.ObjectiveId);
                Assert.Equal(now.Count, company.Contributors);
                Assert.Equal(now.Except(was).Order(StringComparer.Ordinal), company.Joined);
                Assert.Equal(was.Except(now).Order(StringComparer.Ordinal), company.Left);
            }
            // Sensitivity from the basis (the ranking before kept, after reused when the moves left the objective
            // alone) equals the rankings worked out on the two graphs from scratch, for every objective.
            foreach (var o in graph.Objectives)
            {
                var sensitivity = basis.Sensitivity(o.Id, basis.Run(moves));
                Assert.Equal(Ranks(Influence.Ranked(new PlanGraph(snapshot), o.Id, scores)), Ranks(sensitivity.Before));
                Assert.Equal(Ranks(Influence.Ranked(moved, o.Id, scores)), Ranks(sensitivity.After));
            }
        }
        // The forks never changed the graph they share, and it refuses moves of its own while they see it.
        Assert.True(edgesBefore.SetEquals(shared.Edges));
        Assert.Throws<InvalidOperationException>(() => shared.Apply(new ChangeWeight(graph.Edges[0].ParentId, graph.Edges[0].ChildId, 2)));
        AssertSameAlignment(AlignmentSummary.Of(new PlanGraph(snapshot), Teams), index.Before, $"seed {seed}: before");

        static (string, double, double, bool, bool) Row(NodeImpact i) => (i.NodeId, i.Before.Progress, i.After.Progress, i.OnOldChain, i.OnNewChain);
        static HashSet<string> Contributors(PlanGraph g, string company) =>
            [.. Influence.Below(g, company).Where(kv => kv.Value > 0 && kv.Key != company && g.IsObjective(kv.Key)).Select(kv => kv.Key)];
        static IEnumerable<(string, double)> Ranks(ImmutableArray<KeyResultInfluence> ranked) => ranked.Select(k => (k.KeyResultId, Math.Round(k.Influence, 12)));
    }

    private static List<PlanMove> RandomMoves(Random rng, PureGraph graph, int count)
    {
        var moves = new List<PlanMove>();
        for (int i = 0; i < count; i++)
        {
            var objective = graph.Objectives[rng.Next(graph.Objectives.Count)].Id;
            moves.Add(rng.Next(4) switch
            {
                0 => new MoveKeyResult(graph.KeyResults[rng.Next(graph.KeyResults.Count)].Id, objective, rng.Next(4)),
                1 => new RealignObjective(objective, [new ParentLink(graph.Objectives[rng.Next(graph.Objectives.Count)].Id, rng.Next(3))]),
                2 => new RealignObjective(objective, []),
                _ => graph.Edges[rng.Next(graph.Edges.Count)] is var e ? new ChangeWeight(e.ParentId, e.ChildId, rng.Next(4)) : null!,
            });
        }
        return moves;
    }

    private static void AssertSameAlignment(AlignmentSummary expected, AlignmentSummary actual, string where)
    {
        Assert.True(expected.AlignedShare == actual.AlignedShare, $"{where}: aligned {expected.AlignedShare} ≠ {actual.AlignedShare}");
        Assert.Equal(expected.Orphans, actual.Orphans);
        Assert.Equal(expected.CompanyObjectives.Select(c => c.ObjectiveId), actual.CompanyObjectives.Select(c => c.ObjectiveId));
        foreach (var (e, a) in expected.CompanyObjectives.Zip(actual.CompanyObjectives))
        {
            Assert.True(e.Contributors == a.Contributors, $"{where}: {e.ObjectiveId} has {a.Contributors} contributors, expected {e.Contributors}");
            Assert.Equal(e.TeamShares.Select(t => t.Name).Order(), a.TeamShares.Select(t => t.Name).Order());
            foreach (var t in e.TeamShares)
                Assert.True(Math.Abs(t.Share - a.TeamShares.Single(x => x.Name == t.Name).Share) < 1e-12, $"{where}: {e.ObjectiveId} {t.Name}");
        }
    }

    /// <summary>Four teams, one nested, and a person in each of two of them, for <see cref="PureGraph.WithOwners"/>.</summary>
    private static readonly OrganisationView Teams = new("co", "Acme",
        [new("t0", "Zero", null), new("t1", "One", null), new("t2", "Two", "t1"), new("t3", "Three", null)],
        [new("p0", "Pat", "t0"), new("p2", "Kim", "t2")], ScoringPolicy.Default, [], []);

    /// <summary>A random acyclic cycle graph (objectives under one or two earlier ones, every roll-up mode) without an engine.</summary>
    private sealed record PureGraph(CycleDefinition Cycle, DateTimeOffset At,
        List<ObjectiveDefinition> Objectives, List<KeyResultDefinition> KeyResults, List<Edge> Edges)
    {
        public static PureGraph Generate(Random rng, int objectives, int keyResults)
        {
            var owner = new Owner(OwnerKind.Company, "co");
            var g = new PureGraph(new CycleDefinition("q", "Q", Start, End), Start.AddDays(rng.Next(1, 90)), [], [], []);
            for (int i = 0; i < objectives; i++)
            {
                var id = $"q:o{i}";
                g.Objectives.Add(new ObjectiveDefinition(id, "q", id, "", owner, (RollUpMode)rng.Next(3)));
                if (i < 3) continue;
                var first = g.Objectives[rng.Next(i)].Id;
                g.Edges.Add(new Edge(first, id, 1 + rng.Next(3)));
                var second = g.Objectives[rng.Next(i)].Id;
                if (rng.NextDouble() < 0.25 && second != first) g.Edges.Add(new Edge(second, id, rng.Next(3)));
            }
            for (int i = 0; i < keyResults; i++)
            {
                var id = $"q:k{i}";
                g.KeyResults.Add(new KeyResultDefinition(id, "q", id, owner, KeyResultKind.Increase, 0, 10, "", null));
                g.Edges.Add(new Edge(g.Objectives[rng.Next(objectives)].Id, id, 1 + rng.Next(3)));
            }
            return g;
        }

        /// <summary>
        /// The same graph with mixed owners: two of the three roots are the company's (the third is an orphan team
        /// objective), the others teams' or people's; key results the company's, teams' or people's.
        /// </summary>
        public PureGraph WithOwners(Random rng)
        {
            Owner Any() => rng.Next(4) switch
            {
                0 => new(OwnerKind.Team, $"t{rng.Next(4)}"),
                1 => new(OwnerKind.Person, $"p{rng.Next(2) * 2}"),
                2 => new(OwnerKind.Person, "p-without-team"),
                _ => rng.Next(3) == 0 ? new(OwnerKind.Company, "co") : new(OwnerKind.Team, $"t{rng.Next(4)}"),
            };
            var objectives = Objectives.Select((o, i) => o with { Owner = i < 2 ? new(OwnerKind.Company, "co") : i == 2 ? new(OwnerKind.Team, "t3") : Any() });
            var keyResults = KeyResults.Select(k => k with { Owner = Any() });
            return this with { Objectives = [.. objectives], KeyResults = [.. keyResults] };
        }
    }
}
