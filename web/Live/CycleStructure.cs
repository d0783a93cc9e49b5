namespace OkrGrid.Web.Live;

/// <summary>Whether two snapshots of a cycle have the same structure — the same nodes, edges and policy — whatever their scores.</summary>
public static class CycleStructure
{
    public static bool Same(CycleSnapshot a, CycleSnapshot b) =>
        ReferenceEquals(a, b) || (a.Cycle == b.Cycle && a.Policy == b.Policy && a.Objectives.SequenceEqual(b.Objectives)
            && a.KeyResults.SequenceEqual(b.KeyResults) && a.Edges.SequenceEqual(b.Edges));
}
