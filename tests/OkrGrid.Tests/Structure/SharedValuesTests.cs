using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Domain.Structure;
using OkrGrid.Structure;
using Orleans.Serialization;

namespace OkrGrid.Tests.Structure;

/// <summary>
/// A cycle's structure keeps one instance of each value its nodes repeat — the cycle id, owners, units, KPI ids, the
/// node ids its edges name — however the definitions reached it: log rows decoded one at a time (each with copies of its
/// own, as the cycle reads them at activation), or a snapshot written before values were shared. Only instances change:
/// the structure is equal to one built from the decoded copies as they are.
/// </summary>
[Trait("Category", "Fast")]
public sealed class SharedValuesTests
{
    private const string CycleId = "q1";
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AStructureReplayedFromDecodedLogRowsSharesEachRepeatedValue()
    {
        var rows = LogRows().Select(Decoded).ToList();
        // The premise: decoded one row at a time, the rows hold copies (else there would be nothing to share).
        Assert.True(CycleIds(rows).Distinct(ReferenceEqualityComparer.Instance).Count() > 1, "the decoded rows share the cycle id already");

        var shared = new CycleStructure();
        foreach (var row in rows) shared.Apply(shared.Canonical(row));
        var asDecoded = new CycleStructure();
        foreach (var row in rows) asDecoded.Apply(row);

        AssertShared(shared);
        AssertEqual(asDecoded, shared);
        // A change whose values are shared already comes back as it is (no copy of a large import).
        var again = Decoded(new StructureChange(shared.Seq + 1, Start.AddDays(2), [new ObjectivePut(shared.Objectives[Id("o0")] with { Title = "Renamed" }, shared.Objectives[Id("o0")])]));
        var canonical = shared.Canonical(again);
        Assert.NotSame(again, canonical);
        Assert.Same(canonical, shared.Canonical(canonical));
    }

    [Fact]
    public void AStructureReadFromASnapshotOfCopiesSharesEachRepeatedValue()
    {
        var rows = LogRows().Select(Decoded).ToList();
        var asDecoded = new CycleStructure();
        foreach (var row in rows) asDecoded.Apply(row);
        // A snapshot written from a structure of copies (as before values were shared) decodes with the copies.
        var state = Serializer.Deserialize<CycleStructureState>(Serializer.SerializeToArray(asDecoded.ToState()))!;
        Assert.True(state.KeyResults.Select(k => k.CycleId).Distinct(ReferenceEqualityComparer.Instance).Count() > 1, "the snapshot shares the cycle id already");

        var shared = CycleStructure.FromState(state);
        shared.ShareRepeatedValues();

        AssertShared(shared);
        AssertEqual(asDecoded, shared);
        // Written again, the snapshot holds each value once, and decodes shared as it is.
        var rewritten = CycleStructure.FromState(Serializer.Deserialize<CycleStructureState>(Serializer.SerializeToArray(shared.ToState()))!);
        AssertShared(rewritten);
    }

    /// <summary>What the engine logs for a small cycle: the cycle, then one row per node (with its edge), then edits.</summary>
    private static IEnumerable<StructureChange> LogRows()
    {
        long seq = 0;
        var at = Start;
        StructureChange Row(params StructureOp[] ops) => new(++seq, at = at.AddMinutes(1), [.. ops]);
        yield return Row(new CycleDefined("acme", new CycleDefinition(CycleId, "Q1", Start, Start.AddDays(90)), ScoringPolicy.Default));
        for (int o = 0; o < 3; o++)
        {
            var objective = new ObjectiveDefinition(Id($"o{o}"), CycleId, $"Objective {o}", "", new Owner(OwnerKind.Team, "t1"), RollUpMode.KeyResultsAndObjectives);
            yield return o == 0 ? Row(new ObjectivePut(objective, null)) : Row(new ObjectivePut(objective, null), new EdgeAdded(new Edge(Id("o0"), objective.Id, 1)));
            for (int k = 0; k < 3; k++)
            {
                var keyResult = new KeyResultDefinition(Id($"k{o}{k}"), CycleId, $"KR {o}.{k}", new Owner(OwnerKind.Person, $"p{k}"),
                    k == 2 ? KeyResultKind.KpiLinked : KeyResultKind.Increase, 0, 100, "pts", k == 2 ? "kpi1" : null);
                yield return Row(new KeyResultPut(keyResult, null), new EdgeAdded(new Edge(Id($"o{o}"), keyResult.Id, 2)));
            }
        }
        // A move and a weight change: edges removed and added again, each row with its own copies of the ids.
        yield return Row(new EdgeRemoved(new Edge(Id("o1"), Id("k10"), 2)), new EdgeAdded(new Edge(Id("o2"), Id("k10"), 1)));
        yield return Row(new EdgeRemoved(new Edge(Id("o0"), Id("o2"), 1)), new EdgeAdded(new Edge(Id("o0"), Id("o2"), 3)));
    }

    /// <summary>As the cycle reads a log row: its ops decoded on their own.</summary>
    private static StructureChange Decoded(StructureChange change) =>
        change with { Ops = Serializer.Deserialize<ImmutableArray<StructureOp>>(Serializer.SerializeToArray(change.Ops)) };

    private static IEnumerable<string> CycleIds(IEnumerable<StructureChange> rows) =>
        rows.SelectMany(r => r.Ops).Select(op => op switch { ObjectivePut p => p.Objective.CycleId, KeyResultPut p => p.KeyResult.CycleId, _ => null }).OfType<string>();

    private static string Id(string local) => NodeIds.Compose(CycleId, local);

    private static void AssertShared(CycleStructure s)
    {
        var cycleId = s.Definition!.Id;
        Assert.All(s.Objectives.Values, o => Assert.Same(cycleId, o.CycleId));
        Assert.All(s.KeyResults.Values, k => Assert.Same(cycleId, k.CycleId));
        var owners = s.Objectives.Values.Select(o => o.Owner).Concat(s.KeyResults.Values.Select(k => k.Owner)).ToList();
        Assert.All(owners.GroupBy(o => o), g => Assert.Single(g.Distinct(ReferenceEqualityComparer.Instance)));
        Assert.Single(s.KeyResults.Values.Select(k => k.Unit).Distinct(ReferenceEqualityComparer.Instance));
        Assert.Single(s.KeyResults.Values.Select(k => k.KpiId).OfType<string>().Distinct(ReferenceEqualityComparer.Instance));
        var edges = s.Edges.ToList();
        Assert.NotEmpty(edges);
        foreach (var e in edges)
        {
            Assert.Same(s.Objectives[e.ParentId].Id, e.ParentId);
            Assert.Same(s.Objectives.TryGetValue(e.ChildId, out var o) ? o.Id : s.KeyResults[e.ChildId].Id, e.ChildId);
            Assert.Contains(e, s.ParentsOf(e.ChildId));
        }
    }

    private static void AssertEqual(CycleStructure expected, CycleStructure actual)
    {
        Assert.Equal(expected.Definition, actual.Definition);
        Assert.Equal(expected.Seq, actual.Seq);
        Assert.Equal(expected.Objectives.OrderBy(p => p.Key), actual.Objectives.OrderBy(p => p.Key));
        Assert.Equal(expected.KeyResults.OrderBy(p => p.Key), actual.KeyResults.OrderBy(p => p.Key));
        Assert.Equal(expected.Edges.Select(e => $"{e.ParentId}>{e.ChildId}:{e.Weight}").Order(), actual.Edges.Select(e => $"{e.ParentId}>{e.ChildId}:{e.Weight}").Order());
        foreach (var id in expected.Objectives.Keys.Concat(expected.KeyResults.Keys))
        {
            Assert.Equal(expected.ParentsOf(id), actual.ParentsOf(id));
            Assert.Equal(expected.ChildrenOf(id), actual.ChildrenOf(id));
        }
    }
}
