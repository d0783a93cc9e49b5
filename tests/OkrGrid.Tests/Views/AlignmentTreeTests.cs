using OkrGrid.Domain.Views;
using OkrGrid.Views;

namespace OkrGrid.Tests.Views;

/// <summary>
/// A hand-made cycle as an alignment tree, unfiltered and under each filter.
/// </summary>
/// <remarks>
/// Organisation "Acme": team eng ⊃ platform; team sales. Ana is in platform, Bo in sales.
///   c1 (company, at risk)  ← s1, t1, k4
///   c2 (company, off track) ← t2
///   t1 (eng, at risk)      ← t2, k3
///   t2 (platform, off track; two parents: t1 and c2) ← k1
///   s1 (sales, on track)   ← k2
///   x  (Bo, no score: aligned to nothing)
///   k1 Ana off track · k2 Bo on track · k3 eng at risk · k4 company on track
/// </remarks>
[Trait("Category", "Fast")]
public sealed class AlignmentTreeTests
{
    private static readonly OrganisationView Organisation = new("acme", "Acme",
        [new Team("eng", "Engineering", null), new Team("platform", "Platform", "eng"), new Team("sales", "Sales", null)],
        [new Person("ana", "Ana", "platform"), new Person("bo", "Bo", "sales")],
        ScoringPolicy.Default, [], []);

    private static ObjectiveDefinition O(string id, Owner owner) => new(id, "q", $"Objective {id}", "", owner, RollUpMode.KeyResultsAndObjectives);
    private static KeyResultDefinition K(string id, Owner owner) => new(id, "q", $"Key result {id}", owner, KeyResultKind.Increase, 0, 10, "", null);
    private static Owner Team(string id) => new(OwnerKind.Team, id);
    private static Owner Person(string id) => new(OwnerKind.Person, id);

    private static readonly CycleSnapshot Snapshot = new(
        new CycleInfo(new CycleDefinition("q", "Q", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(90)), false, null),
        ScoringPolicy.Default,
        // Listed out of order on purpose: the tree orders them.
        [O("x", Person("bo")), O("t2", Team("platform")), O("c2", Owner.Company("acme")), O("t1", Team("eng")), O("s1", Team("sales")), O("c1", Owner.Company("acme"))],
        [K("k1", Person("ana")), K("k2", Person("bo")), K("k3", Team("eng")), K("k4", Owner.Company("acme"))],
        [new("c1", "k4", 1), new("c1", "t1", 1), new("c1", "s1", 1), new("c2", "t2", 2), new("t1", "t2", 1), new("t1", "k3", 1),
         new("t2", "k1", 1), new("s1", "k2", 1)],
        new Dictionary<string, NodeScore>
        {
            ["c1"] = Score("c1", NodeKind.Objective, Status.AtRisk), ["c2"] = Score("c2", NodeKind.Objective, Status.OffTrack),
            ["t1"] = Score("t1", NodeKind.Objective, Status.AtRisk), ["t2"] = Score("t2", NodeKind.Objective, Status.OffTrack),
            ["s1"] = Score("s1", NodeKind.Objective, Status.OnTrack),
            ["k1"] = Score("k1", NodeKind.KeyResult, Status.OffTrack), ["k2"] = Score("k2", NodeKind.KeyResult, Status.OnTrack),
            ["k3"] = Score("k3", NodeKind.KeyResult, Status.AtRisk), ["k4"] = Score("k4", NodeKind.KeyResult, Status.OnTrack),
        },
        DateTimeOffset.UnixEpoch.AddDays(10));

    private static NodeScore Score(string id, NodeKind kind, Status status) => new(id, kind, 1, 0.5, 0.5, status, null, false, null);

    /// <summary>The tree as indented lines "id" (depth = two spaces), to compare whole shapes at a glance.</summary>
    private static string Shape(ImmutableArray<AlignmentNode> roots)
    {
        var lines = new List<string>();
        void Walk(AlignmentNode n, int depth)
        {
            lines.Add(new string(' ', 2 * depth) + n.Id);
            foreach (var c in n.Children) Walk(c, depth + 1);
        }
        foreach (var r in roots) Walk(r, 0);
        return string.Join("\n", lines);
    }

    [Fact]
    public void WholeTreeHasCompanyObjectivesFirstAndAMultiParentChildUnderEachParent()
    {
        var roots = AlignmentTree.Build(Snapshot, Organisation, new AlignmentFilter());

        Assert.Equal("""
            c1
              s1
                k2
              t1
                t2
                  k1
                k3
              k4
            c2
              t2
                k1
            x
            """, Shape(roots));
        var t2 = roots[0].Children[1].Children[0];
        Assert.Equal(["c2", "t1"], t2.ParentIds);
        Assert.Equal((NodeKind.Objective, "Objective t2", "Platform", Status.OffTrack), (t2.Kind, t2.Title, t2.OwnerName, t2.Score!.Status));
        Assert.Same(t2, roots[1].Children[0]);
        Assert.Equal(("Acme", "Bo"), (roots[0].OwnerName, roots[2].OwnerName));
        Assert.Null(roots[2].Score);
        Assert.Empty(roots[0].ParentIds);
        var k1 = t2.Children[0];
        Assert.Equal((NodeKind.KeyResult, "Ana", Person("ana")), (k1.Kind, k1.OwnerName, k1.Owner));
    }

    [Fact]
    public void TeamFilterKeepsTheTeamItsSubTeamsAndMembersWithTheirAncestors()
    {
        // eng covers eng, platform and Ana: t1, t2, k3, k1 — and c1 (above t1) and c2 (above t2).
        var roots = AlignmentTree.Build(Snapshot, Organisation, new AlignmentFilter(TeamId: "eng"));

        Assert.Equal("""
            c1
              t1
                t2
                  k1
                k3
            c2
              t2
                k1
            """, Shape(roots));
    }

    [Fact]
    public void SubTeamFilterLeavesOutItsParentTeamsOwnNodes()
    {
        var roots = AlignmentTree.Build(Snapshot, Organisation, new AlignmentFilter(TeamId: "platform"));

        // t1 (eng) stays only as the way from c1 down to t2; its own key result k3 goes.
        Assert.Equal("""
            c1
              t1
                t2
                  k1
            c2
              t2
                k1
            """, Shape(roots));
    }

    [Fact]
    public void StatusFilterKeepsMatchingNodesWithTheirAncestors()
    {
        var roots = AlignmentTree.Build(Snapshot, Organisation, new AlignmentFilter(Status: Status.OffTrack));

        // Off track: c2, t2, k1; t1 and c1 lead to t2.
        Assert.Equal("""
            c1
              t1
                t2
                  k1
            c2
              t2
                k1
            """, Shape(roots));
    }

    [Fact]
    public void BothFiltersKeepNodesMatchingBoth()
    {
        // Sales and on track: s1 and k2 (Bo's x has no score, so it is "no data").
        var onTrack = AlignmentTree.Build(Snapshot, Organisation, new AlignmentFilter("sales", Status.OnTrack));
        Assert.Equal("""
            c1
              s1
                k2
            """, Shape(onTrack));

        var noData = AlignmentTree.Build(Snapshot, Organisation, new AlignmentFilter("sales", Status.NoData));
        Assert.Equal("x", Shape(noData));
    }

    [Fact]
    public void FilterMatchingNothingGivesAnEmptyTree()
    {
        var snapshotWithoutBo = Snapshot with { Objectives = Snapshot.Objectives.RemoveAll(o => o.Id == "x") };
        Assert.Empty(AlignmentTree.Build(snapshotWithoutBo, Organisation, new AlignmentFilter(Status: Status.NoData)));
    }

    [Fact]
    public void UnknownTeamIsNotFound()
    {
        var e = Assert.Throws<OkrRejectedException>(() => AlignmentTree.Build(Snapshot, Organisation, new AlignmentFilter(TeamId: "nope")));
        Assert.Equal((RejectionKind.NotFound, "teamId"), (e.Kind, e.Field));
    }
}
