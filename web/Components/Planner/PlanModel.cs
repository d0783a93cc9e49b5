using System.Globalization;
using OkrGrid.Domain.Planning;
using OkrGrid.Domain.Views;
using OkrGrid.Planning;
using OkrGrid.Web.Components.Shared;

namespace OkrGrid.Web.Components.Planner;

/// <summary>An objective or key result as the planner's pickers offer it.</summary>
public sealed record NodeOption(string Id, NodeKind Kind, string Title, Owner Owner, string OwnerName, string? ParentTitle)
{
    public override string ToString() => Title;
}

/// <summary>A move in words: "Move {subject} from {from} to {to}", with the weight when one is given.</summary>
public sealed record MoveText(string Verb, string Subject, string? SubjectId, NodeKind SubjectKind, string Joiner, string? From, string To, string? Weight);

/// <summary>
/// What the planner knows about the scenario's cycle to name things and to offer choices: the live structure (the
/// graph the moves are proposed against), titles and owners. Pure: built from a snapshot and the organisation.
/// </summary>
public sealed class PlanContext
{
    private static readonly CompareInfo Compare = CultureInfo.InvariantCulture.CompareInfo;
    private const CompareOptions Loose = CompareOptions.IgnoreCase | CompareOptions.IgnoreNonSpace;
    private readonly OwnerNames _names;

    public PlanContext(CycleSnapshot snapshot, OrganisationView organisation)
    {
        Snapshot = snapshot;
        Organisation = organisation;
        Graph = new PlanGraph(snapshot);
        _names = new OwnerNames(organisation);
    }

    public CycleSnapshot Snapshot { get; }
    public OrganisationView Organisation { get; }

    /// <summary>The live structure the moves are proposed against.</summary>
    public PlanGraph Graph { get; }

    public string TitleOf(string id) => Graph.Objective(id)?.Title ?? Graph.KeyResult(id)?.Title ?? id;
    public bool Knows(string id) => Graph.Objective(id) is not null || Graph.KeyResult(id) is not null;
    public NodeKind KindOf(string id) => Graph.IsObjective(id) ? NodeKind.Objective : NodeKind.KeyResult;
    public Owner? OwnerOf(string id) => Graph.Objective(id)?.Owner ?? Graph.KeyResult(id)?.Owner;
    public string OwnerNameOf(string id) => OwnerOf(id) is { } owner ? _names.Of(owner) : "";
    public string OwnerName(Owner owner) => _names.Of(owner);

    /// <summary>The graph after the moves the simulation kept (refused ones left out, as the engine does).</summary>
    public PlanGraph After(IReadOnlyList<PlanMove> moves, IEnumerable<RejectedMove> rejected)
    {
        var skipped = rejected.Select(r => r.Index).ToHashSet();
        var after = Graph.Fork();
        for (int i = 0; i < moves.Count; i++)
        {
            if (skipped.Contains(i)) continue;
            try { after.Apply(moves[i]); }
            catch (OkrRejectedException) { } // the live graph moved on since the simulation: the impact says so
        }
        return after;
    }

    // Built once per context (a context lives until the structure changes): a search runs on every keystroke, and on a
    // large cycle building and sorting the options each time would cost more than the search.
    private IReadOnlyList<NodeOption>? _keyResults;
    private IReadOnlyList<NodeOption>? _objectives;

    public IReadOnlyList<NodeOption> KeyResults => _keyResults ??= [.. Graph.KeyResults.Select(Option).OrderBy(o => o.Title, StringComparer.CurrentCulture)];
    public IReadOnlyList<NodeOption> Objectives => _objectives ??= [.. Graph.Objectives.Select(Option)
        .OrderBy(o => o.Owner.Kind).ThenBy(o => o.Title, StringComparer.CurrentCulture)];

    /// <summary>Nodes that have a parent (whose weight there could change).</summary>
    public IEnumerable<NodeOption> Children => Objectives.Concat(KeyResults).Where(o => Graph.ParentsOf(o.Id).Count > 0);

    public NodeOption? OptionOf(string id) => Knows(id) ? Option(id) : null;

    private NodeOption Option(ObjectiveDefinition o) => Option(o.Id);
    private NodeOption Option(KeyResultDefinition k) => Option(k.Id);

    private NodeOption Option(string id)
    {
        var parents = Graph.ParentsOf(id);
        var parent = parents.Count switch
        {
            0 => null,
            1 => TitleOf(parents[0].ParentId),
            _ => $"{TitleOf(parents[0].ParentId)} +{parents.Count - 1}",
        };
        var owner = OwnerOf(id)!;
        return new NodeOption(id, KindOf(id), TitleOf(id), owner, _names.Of(owner), parent);
    }

    /// <summary>Options whose title or owner's name contain every word of the query (case and accents ignored).</summary>
    public static IEnumerable<NodeOption> Search(IEnumerable<NodeOption> options, string? query, int max = 12)
    {
        var words = (query ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return options.Where(o => words.All(w => Compare.IndexOf(o.Title, w, Loose) >= 0 || Compare.IndexOf(o.OwnerName, w, Loose) >= 0))
            .Take(max);
    }

    /// <summary>The engine's reason with the node ids it quotes ('2026-q4:growth') replaced by their titles.</summary>
    public string Humanize(string reason) =>
        System.Text.RegularExpressions.Regex.Replace(reason, "'([^'\\s]+)'", m => Knows(m.Groups[1].Value) ? $"“{TitleOf(m.Groups[1].Value)}”" : m.Value);

    /// <summary>A move in words, naming nodes by title (ids when the cycle does not know them).</summary>
    public MoveText Describe(PlanMove move) => move switch
    {
        MoveKeyResult m => new MoveText("Move", TitleOf(m.KeyResultId), m.KeyResultId, NodeKind.KeyResult, "to",
            Graph.ParentsOf(m.KeyResultId) is [var old, ..] && Knows(m.KeyResultId) ? TitleOf(old.ParentId) : null,
            TitleOf(m.ObjectiveId), m.Weight is { } w ? "×" + Fmt.Num(w) : null),
        RealignObjective r => new MoveText("Re-align", TitleOf(r.ObjectiveId), r.ObjectiveId, NodeKind.Objective, "under",
            Graph.ParentsOf(r.ObjectiveId) is { Count: > 0 } olds ? string.Join(", ", olds.Select(e => TitleOf(e.ParentId))) : null,
            r.Parents.IsDefaultOrEmpty ? "nothing (not aligned)"
                : string.Join(", ", r.Parents.Select(p => Math.Abs(p.Weight - 1) > 1e-9 ? $"{TitleOf(p.ParentId)} ×{Fmt.Num(p.Weight)}" : TitleOf(p.ParentId))),
            null),
        ChangeWeight c => new MoveText("Weigh", TitleOf(c.ChildId), c.ChildId, KindOf(c.ChildId), "in",
            null, TitleOf(c.ParentId),
            (Graph.ParentsOf(c.ChildId).FirstOrDefault(e => e.ParentId == c.ParentId) is { } edge ? $"×{Fmt.Num(edge.Weight)} → " : "") + "×" + Fmt.Num(c.Weight)),
        _ => new MoveText("Change", move.SubjectId, null, NodeKind.Objective, "", null, "", null),
    };
}

/// <summary>How a node hangs under its parent in the planner's tree: unchanged, leaving, joining, or re-weighted.</summary>
public enum EdgeChange { Root, Kept, Removed, Added, Reweighted }

/// <summary>One node of the planner's tree: the affected part of the alignment, with the old and new chains marked.</summary>
public sealed record PlanTreeNode(
    string Id,
    NodeKind Kind,
    string Title,
    Owner Owner,
    string OwnerName,
    NodeImpact? Impact,
    bool OnOldChain,
    bool OnNewChain,
    bool Subject,
    EdgeChange Edge,
    double? WeightBefore,
    double? WeightAfter,
    ImmutableArray<PlanTreeNode> Children)
{
    /// <summary>old, new, both or none: which highlight the row gets.</summary>
    public string Chain => (OnOldChain, OnNewChain) switch
    {
        (true, true) => "both",
        (true, false) => "old",
        (false, true) => "new",
        _ => "none",
    };
}

/// <summary>
/// The affected part of the alignment as a tree: every objective on an old or new chain, and the nodes the moves are
/// about, each under its parents before and after the moves. An edge only the old graph has is marked removed (the
/// subject leaves), one only the new graph has added (it joins), one with another weight re-weighted.
/// </summary>
public static class PlanTree
{
    public static ImmutableArray<PlanTreeNode> Build(PlanContext context, PlanGraph before, PlanGraph after,
        IReadOnlyList<NodeImpact> impacts, IEnumerable<string> subjects)
    {
        var impactOf = impacts.ToDictionary(i => i.NodeId);
        var subjectSet = subjects.Where(id => before.Objective(id) is not null || before.KeyResult(id) is not null).ToHashSet();
        var shown = impactOf.Keys.Concat(subjectSet).ToHashSet();

        IEnumerable<string> ParentsIn(PlanGraph g, string id) => g.ParentsOf(id).Select(e => e.ParentId).Where(shown.Contains);

        PlanTreeNode NodeOf(string id, string? parent, ImmutableHashSet<string> path)
        {
            var kind = context.KindOf(id);
            var owner = context.OwnerOf(id) ?? new Owner(OwnerKind.Company, "");
            double? wBefore = null, wAfter = null;
            var edge = EdgeChange.Root;
            if (parent is not null)
            {
                wBefore = before.ParentsOf(id).FirstOrDefault(e => e.ParentId == parent)?.Weight;
                wAfter = after.ParentsOf(id).FirstOrDefault(e => e.ParentId == parent)?.Weight;
                edge = (wBefore, wAfter) switch
                {
                    (null, not null) => EdgeChange.Added,
                    (not null, null) => EdgeChange.Removed,
                    ({ } b, { } a) when Math.Abs(a - b) > 1e-12 => EdgeChange.Reweighted,
                    _ => EdgeChange.Kept,
                };
            }
            var inner = path.Add(id);
            var children = kind == NodeKind.KeyResult ? [] : before.ChildrenOf(id).Concat(after.ChildrenOf(id))
                .Select(e => e.ChildId).Where(c => shown.Contains(c) && !inner.Contains(c)).Distinct()
                .OrderBy(c => context.KindOf(c)).ThenBy(c => context.TitleOf(c), StringComparer.CurrentCulture)
                .Select(c => NodeOf(c, id, inner)).ToImmutableArray();
            var impact = impactOf.GetValueOrDefault(id);
            return new PlanTreeNode(id, kind, context.TitleOf(id), owner, context.OwnerName(owner), impact,
                impact?.OnOldChain ?? false, impact?.OnNewChain ?? false, subjectSet.Contains(id), edge, wBefore, wAfter, children);
        }

        // Roots: nothing shown above them, before or after — and a subject the moves leave aligned to nothing.
        return [.. shown
            .Where(id => !ParentsIn(after, id).Any() && (!ParentsIn(before, id).Any() || subjectSet.Contains(id)))
            .OrderBy(id => context.OwnerOf(id)?.Kind ?? OwnerKind.Company).ThenBy(id => context.KindOf(id)).ThenBy(context.TitleOf, StringComparer.CurrentCulture)
            .Select(id => NodeOf(id, null, []))];
    }
}

/// <summary>How the planner writes changes: percentage points with a sign, and which way they go.</summary>
public static class PlanFmt
{
    /// <summary>Changes smaller than this (a twentieth of a point) read as no change.</summary>
    public const double Epsilon = 0.0005;

    /// <summary>+0.05 → "+5.0 pts", −0.125 → "−12.5 pts", 0 → "±0".</summary>
    public static string Points(double delta) => Math.Abs(delta) < Epsilon
        ? "±0"
        : (delta > 0 ? "+" : "−") + Math.Abs(delta * 100).ToString("0.0", Fmt.Culture) + " pts";

    /// <summary>up, down or flat: the CSS modifier of a change.</summary>
    public static string Direction(double delta) => delta >= Epsilon ? "up" : delta <= -Epsilon ? "down" : "flat";

    /// <summary>A share with one decimal when small: 0.125 → "12.5%", 0.5 → "50%".</summary>
    public static string Share(double share)
    {
        var pct = share * 100;
        return (Math.Abs(pct - Math.Round(pct)) < 0.05 ? pct.ToString("0", Fmt.Culture) : pct.ToString("0.0", Fmt.Culture)) + "%";
    }

    public static string StateLabel(ScenarioState state) => state switch
    {
        ScenarioState.Applied => "Applied",
        ScenarioState.Discarded => "Discarded",
        _ => "Open",
    };
}
