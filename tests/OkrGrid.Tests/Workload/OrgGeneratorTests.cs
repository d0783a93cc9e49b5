using OkrGrid.Tests.Engine;
using OkrGrid.Workload;

namespace OkrGrid.Tests.Workload;

/// <summary>The synthetic organisation: the shape of a real company, the same for the same seed, and importable.</summary>
public sealed class OrgGeneratorTests
{
    private static readonly CycleDefinition Cycle = new("bench", "2026-Q4", Demo.CycleStart, Demo.CycleEnd);

    [Theory]
    [InlineData("1k", 1_000)]
    [InlineData("10k", 10_000)]
    [InlineData("100k", 100_000)]
    public void HasTheShapeOfACompany(string size, int nodes)
    {
        Assert.Equal(nodes, OrgGenerator.ParseSize(size));
        var org = OrgGenerator.Generate(nodes, seed: 1, Cycle);

        Assert.InRange(org.NodeCount, nodes, nodes + 200);   // teams are added whole
        Assert.Equal(OrgGenerator.CompanyObjectives, org.Roots.Count());
        var departments = org.Teams.Where(t => t.ParentTeamId is null).ToList();
        var teams = org.Teams.Where(t => t.ParentTeamId is not null).ToList();
        Assert.NotEmpty(departments);
        Assert.All(teams.GroupBy(t => t.ParentTeamId), g => Assert.InRange(g.Count(), 1, 10));
        Assert.All(teams, t => Assert.InRange(org.People.Count(p => p.TeamId == t.Id), 5, 9));

        var childrenOf = org.Edges.ToLookup(e => e.ParentId);
        var parentsOf = org.Edges.ToLookup(e => e.ChildId);
        var objectiveIds = org.Objectives.Select(o => o.Id).ToHashSet();
        Assert.All(org.Objectives, o => Assert.InRange(childrenOf[o.Id].Count(e => !objectiveIds.Contains(e.ChildId)), 3, 5));
        Assert.All(org.KeyResults, k => Assert.Single(parentsOf[k.Id]));
        // Every non-root objective is aligned; about one in ten to two parents.
        var aligned = org.Objectives.Where(o => o.Owner.Kind != OwnerKind.Company).ToList();
        Assert.All(aligned, o => Assert.InRange(parentsOf[o.Id].Count(), 1, 2));
        var twoParents = aligned.Count(o => parentsOf[o.Id].Count() == 2) / (double)aligned.Count;
        Assert.InRange(twoParents, 0.05, 0.15);
        // People have 2–4 objectives; KPIs feed some key results.
        Assert.All(org.People.Take(50), p => Assert.InRange(org.Objectives.Count(o => o.Owner.Id == p.Id), 2, 4));
        Assert.Contains(org.KeyResults, k => k.Kind == KeyResultKind.KpiLinked);
        Assert.All(org.KeyResults.Where(k => k.KpiId is not null), k => Assert.Contains(org.Kpis, kpi => kpi.Id == k.KpiId));
        // The reference scorer accepts it: no loops.
        Assert.Equal(org.NodeCount, GraphScorer.Score(org.Objectives, org.KeyResults, org.Edges, KeyResultInput.Initial, 0.5, ScoringPolicy.Default).Count);
    }

    [Fact]
    public void IsDeterministicPerSeed()
    {
        var a = OrgGenerator.Generate(5_000, seed: 42, Cycle);
        var b = OrgGenerator.Generate(5_000, seed: 42, Cycle);
        var c = OrgGenerator.Generate(5_000, seed: 43, Cycle);
        Assert.Equal(a.Objectives, b.Objectives);
        Assert.Equal(a.KeyResults, b.KeyResults);
        Assert.Equal(a.Edges, b.Edges);
        Assert.Equal(a.People, b.People);
        Assert.NotEqual(a.Edges, c.Edges);
    }

    [Fact]
    public void TheSkewedWorkloadSendsFourFifthsOfCheckInsToAFifthOfTheKeyResults()
    {
        var org = OrgGenerator.Generate(10_000, seed: 3, Cycle);
        var workload = new CheckInWorkload(org, skewed: true);
        var rng = new Random(5);
        var counts = Enumerable.Range(0, 100_000).Select(_ => workload.Next(rng).KeyResult.Id).GroupBy(id => id)
            .Select(g => g.Count()).OrderByDescending(n => n).ToList();
        var eligible = org.KeyResults.Count(k => k.Kind != KeyResultKind.KpiLinked);
        var topFifth = counts.Take(eligible / 5).Sum() / 100_000.0;
        Assert.InRange(topFifth, 0.78, 0.86);
    }
}

/// <summary>A synthetic organisation imported into the engine scores exactly like the reference.</summary>
public sealed class EngineImportTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync() => _c = await EngineCluster.StartAsync("import", Demo.Now);

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task ImportedOrganisationMatchesTheReference()
    {
        var org = OrgGenerator.Generate(3_000, seed: 9, new CycleDefinition("bench", "Bench", Demo.CycleStart, Demo.CycleEnd));
        await EngineImport.ImportAsync(_c.Grains, org);

        var snapshot = await _c.Cycle("bench").GetSnapshotAsync();
        Assert.Equal(org.NodeCount, snapshot.Scores.Count);
        Assert.Equal(org.Edges.Length, snapshot.Edges.Length);
        var elapsed = Rules.ExpectedProgress(Demo.CycleStart, Demo.CycleEnd, Demo.Now);
        var reference = GraphScorer.Score(org.Objectives, org.KeyResults, org.Edges, KeyResultInput.Initial, elapsed, ScoringPolicy.Default);
        foreach (var (id, expected) in reference)
        {
            // The grains themselves (activated by the call), not only the snapshot, agree with the reference.
            IScoredNode node = org.Objectives.Any(o => o.Id == id) ? _c.Objective(id) : _c.KeyResult(id);
            var live = await node.GetScoreAsync();
            Assert.True(live.Version > 0);
            foreach (var actual in new[] { live, snapshot.Scores[id] })
                Assert.True(Math.Abs(actual.Progress - expected.Progress) < 1e-9 && actual.Status == expected.Status, $"{id}: {actual} vs {expected}");
        }

        // A loop or an unknown node in an import is refused as a whole.
        var leaf = org.Objectives[^1].Id;
        var root = leaf;
        while (org.Edges.FirstOrDefault(e => e.ChildId == root) is { } up) root = up.ParentId;
        Assert.NotEqual(leaf, root);
        var ex = await Assert.ThrowsAsync<OkrRejectedException>(() => _c.Cycle("bench").ImportAsync([], [], [new Edge(leaf, root, 1)]));
        Assert.Equal(RejectionKind.Conflict, ex.Kind);
        ex = await Assert.ThrowsAsync<OkrRejectedException>(() => _c.Cycle("bench").ImportAsync(
            [new ObjectiveDefinition("bench:new", "bench", "New", "", Owner.Company(OrgGenerator.CompanyId), RollUpMode.KeyResultsOnly)], [],
            [new Edge("bench:ghost", "bench:new", 1)]));
        Assert.Equal("edges[0].parentId", ex.Field);
        Assert.Equal(org.NodeCount, (await _c.Cycle("bench").GetSnapshotAsync()).Scores.Count);
    }
}
