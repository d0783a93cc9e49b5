namespace OkrGrid.Web.Components.Shared;

/// <summary>
/// What the alignment tree's items share: which paths are expanded (a node under two parents has a path under each),
/// the live scores, parents' titles and the expected pace. Owned by the page.
/// </summary>
public sealed class AlignmentTreeState(Func<string, NodeScore?> scoreOf, Func<string, string> titleOf, Action changed)
{
    private readonly HashSet<string> _expanded = [];

    public double? Expected { get; set; }

    /// <summary>A key result's kind (null for an objective or an unknown id): decides whether its bar shows the pace.</summary>
    public Func<string, KeyResultKind?> KindOf { get; set; } = _ => null;

    /// <summary>
    /// Where the pace expects a node to be: for an objective and a key result whose pace moves through the cycle
    /// (increase, decrease, milestone, KPI-linked); none for "keep ≥ / ≤" key results, held to their threshold all along.
    /// </summary>
    public double? ExpectedFor(OkrGrid.Views.AlignmentNode node) => Expected is not { } elapsed ? null
        : node.Kind == NodeKind.Objective ? elapsed
        : KindOf(node.Id) is { } kind && Rules.PaceMoves(kind) ? Rules.ExpectedFor(kind, elapsed)
        : null;

    public NodeScore? ScoreOf(string id) => scoreOf(id);
    public string TitleOf(string id) => titleOf(id);

    public bool IsExpanded(string path) => _expanded.Contains(path);

    public void Toggle(string path)
    {
        if (!_expanded.Remove(path)) _expanded.Add(path);
        changed();
    }

    public void Expand(IEnumerable<string> paths)
    {
        _expanded.UnionWith(paths);
        changed();
    }

    public void CollapseAll()
    {
        _expanded.Clear();
        changed();
    }

    /// <summary>Every path with children, down to <paramref name="depth"/> levels (0: the roots).</summary>
    public static IEnumerable<string> Paths(IEnumerable<OkrGrid.Views.AlignmentNode> roots, int depth = int.MaxValue, string parent = "")
    {
        if (depth < 0) yield break;
        foreach (var node in roots)
        {
            if (node.Children.Length == 0) continue;
            var path = parent + "/" + node.Id;
            yield return path;
            foreach (var p in Paths(node.Children, depth - 1, path)) yield return p;
        }
    }
}
