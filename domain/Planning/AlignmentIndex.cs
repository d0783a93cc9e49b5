using OkrGrid.Domain.Scoring;
using OkrGrid.Model;
using OkrGrid.Planning;

namespace OkrGrid.Domain.Planning;

/// <summary>
/// A cycle's alignment worked out once for one graph — for every objective, the company objectives above it, the ones
/// it contributes to, and the share of its progress each team's key results make — so that the alignment after a
/// scenario's moves (<see cref="After"/>) costs the objectives the moves touch, not the graph.
/// <list type="bullet">
/// <item>Aligned: an objective with a path of alignment edges (any weight) up to a company objective.</item>
/// <item>Contributor of a company objective: an objective with a path to it of edges that count in the parent's roll-up
/// with a positive weight — one whose progress moves it.</item>
/// <item>Team shares: the key results' influence (<see cref="Influence"/>) on the company objective, added up by the
/// owner's team; worked out bottom-up as each objective's children's shares weighted as its roll-up weighs them.</item>
/// </list>
/// </summary>
public sealed class AlignmentIndex
{
    private const string CompanyKey = "";
    private readonly PlanGraph _graph;
    private readonly Dictionary<string, string> _teamOfPerson;
    private readonly Dictionary<string, string> _teamNames;
    private readonly string _companyName;
    private readonly Dictionary<string, string[]> _above = [];
    private readonly Dictionary<string, string[]> _feeds = [];
    private readonly Dictionary<string, Dictionary<string, double>> _teams = [];
    private readonly List<ObjectiveDefinition> _company;
    private readonly int _alignedCount;

    public AlignmentIndex(PlanGraph graph, OrganisationView organisation)
    {
        _graph = graph;
        _teamOfPerson = organisation.People.ToDictionary(p => p.Id, p => p.TeamId);
        _teamNames = organisation.Teams.ToDictionary(t => t.Id, t => t.Name);
        _companyName = organisation.CompanyName is { Length: > 0 } n ? n : "Company";
        _company = [.. graph.Objectives.Where(IsCompany).OrderBy(o => o.Id, StringComparer.Ordinal)];

        var contributors = _company.ToDictionary(c => c.Id, _ => 0);
        var others = 0;
        // Worked out for every objective, not only those under a company objective: a move may align any of them.
        foreach (var o in graph.Objectives)
        {
            foreach (var c in Feeds(graph, o.Id, _feeds, null)) contributors[c]++;
            Teams(graph, o.Id, _teams, null);
            var aligned = Above(graph, o.Id, _above, null).Length > 0;
            if (IsCompany(o)) continue;
            others++;
            if (aligned) _alignedCount++;
        }
        var orphans = graph.Objectives.Where(o => !IsCompany(o) && graph.ParentsOf(o.Id).Count == 0)
            .Select(o => o.Id).Order(StringComparer.Ordinal).ToImmutableArray();
        Before = new AlignmentSummary(Share(_alignedCount, others), orphans,
            [.. _company.Select(c => Company(c, contributors[c.Id], Teams(graph, c.Id, _teams, null), [], []))]);
    }

    /// <summary>The alignment of the graph this index was built from.</summary>
    public AlignmentSummary Before { get; }

    /// <summary>The alignment after a simulation's valid moves; the simulation must have run on this index's graph.</summary>
    public AlignmentSummary After(SimulationRun run)
    {
        if (!ReferenceEquals(run.Before, _graph)) throw new ArgumentException("The simulation ran on another graph than this index's.", nameof(run));
        if (run.Touched.Count == 0 && run.Reparented.Count == 0) return Before;
        var after = run.After;

        // Only the moved objectives and what hangs below them can have other objectives above them now.
        var moved = Below(after, run.Reparented);
        var above = new Dictionary<string, string[]>();
        var feeds = new Dictionary<string, string[]>();
        var aligned = _alignedCount;
        foreach (var id in moved)
        {
            if (IsCompany(after.Objective(id)!)) continue;
            aligned += (Above(after, id, above, moved).Length > 0 ? 1 : 0) - (_above[id].Length > 0 ? 1 : 0);
        }

        // Team shares change on the objectives above a touched parent (their sub-graph changed), in either graph.
        var recomputed = run.Result.Impacts.Select(i => i.NodeId).ToHashSet();
        var teams = new Dictionary<string, Dictionary<string, double>>();
        var companies = ImmutableArray.CreateBuilder<CompanyObjectiveAlignment>(_company.Count);
        for (int i = 0; i < _company.Count; i++)
        {
            var c = _company[i];
            var was = Before.CompanyObjectives[i];
            ImmutableArray<string> joined = [.. moved.Where(id => Feeds(after, id, feeds, moved).Contains(c.Id) && !_feeds[id].Contains(c.Id)).Order(StringComparer.Ordinal)];
            ImmutableArray<string> left = [.. moved.Where(id => _feeds[id].Contains(c.Id) && !Feeds(after, id, feeds, moved).Contains(c.Id)).Order(StringComparer.Ordinal)];
            companies.Add(!recomputed.Contains(c.Id) && joined.IsEmpty && left.IsEmpty ? was
                : Company(c, was.Contributors + joined.Length - left.Length, recomputed.Contains(c.Id) ? Teams(after, c.Id, teams, recomputed) : _teams[c.Id], joined, left));
        }

        var orphans = Before.Orphans.Where(id => !run.Reparented.Contains(id))
            .Concat(run.Reparented.Where(id => !IsCompany(after.Objective(id)!) && after.ParentsOf(id).Count == 0))
            .Order(StringComparer.Ordinal).ToImmutableArray();
        return new AlignmentSummary(Share(aligned, _graph.ObjectiveCount - _company.Count), orphans, companies.ToImmutable());
    }

    private CompanyObjectiveAlignment Company(ObjectiveDefinition c, int contributors, Dictionary<string, double> teams,
        ImmutableArray<string> joined, ImmutableArray<string> left) =>
        new(c.Id, c.Title, contributors,
            [.. teams.Where(kv => kv.Value > 0)
                .Select(kv => kv.Key == CompanyKey ? new TeamShare(null, _companyName, kv.Value) : new TeamShare(kv.Key, _teamNames.GetValueOrDefault(kv.Key, kv.Key), kv.Value))
                .OrderByDescending(t => t.Share).ThenBy(t => t.Name, StringComparer.Ordinal)],
            joined, left);

    /// <summary>
    /// The company objectives above an objective. Memoised in <paramref name="memo"/>; with <paramref name="only"/>,
    /// objectives outside it take this index's own answer (their paths up did not change).
    /// </summary>
    private string[] Above(PlanGraph graph, string id, Dictionary<string, string[]> memo, HashSet<string>? only) =>
        Up(graph, id, memo, only, _above, counting: false);

    /// <summary>The company objectives an objective contributes to (see the class); memoised as <see cref="Above"/>.</summary>
    private string[] Feeds(PlanGraph graph, string id, Dictionary<string, string[]> memo, HashSet<string>? only) =>
        Up(graph, id, memo, only, _feeds, counting: true);

    private static string[] Up(PlanGraph graph, string id, Dictionary<string, string[]> memo, HashSet<string>? only,
        Dictionary<string, string[]> fallback, bool counting)
    {
        if (only is not null && !only.Contains(id)) return fallback[id];
        if (memo.TryGetValue(id, out var known)) return known;
        string[]? single = null;
        HashSet<string>? union = null;
        foreach (var e in graph.ParentsOf(id))
        {
            var parent = graph.Objective(e.ParentId)!;
            if (counting && (e.Weight <= 0 || !Rules.Counts(parent.RollUp, NodeKind.Objective))) continue;
            var up = Up(graph, parent.Id, memo, only, fallback, counting);
            if (IsCompany(parent)) (union ??= [.. single ?? []]).Add(parent.Id);
            if (union is not null) union.UnionWith(up);
            else if (single is null) single = up;
            else if (!ReferenceEquals(single, up)) union = [.. single, .. up];
        }
        // Most objectives have one parent: they share its array instead of holding a copy.
        return memo[id] = union is null ? single ?? [] : [.. union.Order(StringComparer.Ordinal)];
    }

    /// <summary>The share of an objective's progress that comes from each team's key results (memoised; see <see cref="Above"/>).</summary>
    private Dictionary<string, double> Teams(PlanGraph graph, string id, Dictionary<string, Dictionary<string, double>> memo, HashSet<string>? only)
    {
        if (only is not null && !only.Contains(id)) return _teams[id];
        if (memo.TryGetValue(id, out var known)) return known;
        var objective = graph.Objective(id)!;
        var counting = graph.ChildrenOf(id)
            .Where(e => e.Weight > 0 && Rules.Counts(objective.RollUp, graph.IsObjective(e.ChildId) ? NodeKind.Objective : NodeKind.KeyResult))
            .ToList();
        var total = counting.Sum(e => e.Weight);
        var shares = new Dictionary<string, double>();
        foreach (var e in counting)
        {
            var share = e.Weight / total;
            if (graph.KeyResult(e.ChildId) is { } kr)
                Add(shares, TeamOf(kr.Owner), share);
            else
                foreach (var (team, s) in Teams(graph, e.ChildId, memo, only)) Add(shares, team, share * s);
        }
        return memo[id] = shares;

        static void Add(Dictionary<string, double> shares, string team, double share) =>
            shares[team] = shares.GetValueOrDefault(team) + share;
    }

    /// <summary>The given objectives and every objective below them.</summary>
    private static HashSet<string> Below(PlanGraph graph, IEnumerable<string> ids)
    {
        var seen = new HashSet<string>(ids);
        var stack = new Stack<string>(seen);
        while (stack.TryPop(out var id))
            foreach (var e in graph.ChildrenOf(id))
                if (graph.IsObjective(e.ChildId) && seen.Add(e.ChildId)) stack.Push(e.ChildId);
        return seen;
    }

    /// <summary>The team a key result's owner belongs to; the company's own key results count as the company's.</summary>
    private string TeamOf(Owner owner) => owner.Kind switch
    {
        OwnerKind.Team => owner.Id,
        OwnerKind.Person => _teamOfPerson.GetValueOrDefault(owner.Id) ?? CompanyKey,
        _ => CompanyKey,
    };

    private static bool IsCompany(ObjectiveDefinition o) => o.Owner.Kind == OwnerKind.Company;

    private static double Share(int part, int whole) => whole == 0 ? 1.0 : part / (double)whole;
}

/// <summary>
/// <see cref="AlignmentSummary"/> is a record on the wire (contracts); working one out is domain logic, so it is here,
/// as a static extension that keeps the call <c>AlignmentSummary.Of(graph, organisation)</c>.
/// </summary>
public static class AlignmentSummaries
{
    extension(AlignmentSummary)
    {
        /// <summary>The alignment of one graph; to compare with the graph after moves, keep the <see cref="AlignmentIndex"/>.</summary>
        public static AlignmentSummary Of(PlanGraph graph, OrganisationView organisation) => new AlignmentIndex(graph, organisation).Before;
    }
}
