using OkrGrid.Domain.Scoring;
using OkrGrid.Domain.Structure;
using OkrGrid.Model;
using OkrGrid.Structure;
using OkrGrid.Validation;
using OkrGrid.Views;

namespace OkrGrid.Domain.Views;

/// <summary>
/// How a node's progress developed, replayed from its facts with the engine's own <see cref="Rules"/>: each point
/// scores the key results as of that moment (the latest check-in by then, or the latest measurement of the KPI of a
/// KPI-linked key result) and rolls them up with <see cref="GraphScorer.ScoreObjectives"/>. Pure, so the replay
/// ends exactly where the live engine stands: the last point, taken at the snapshot's time, is the node's score in it.
/// </summary>
public static class ProgressHistory
{
    private static readonly TimeSpan Step = TimeSpan.FromDays(1);

    /// <summary>
    /// The key results whose facts a node's history needs: the key result itself, or every key result below an
    /// objective (through child objectives, at any depth). Empty for a node the snapshot does not have.
    /// </summary>
    public static ImmutableArray<KeyResultDefinition> KeyResultsUnder(CycleSnapshot snapshot, string nodeId)
    {
        var keyResults = snapshot.KeyResults.ToDictionary(k => k.Id);
        if (keyResults.TryGetValue(nodeId, out var single)) return [single];
        var (_, _, krs) = Subtree(snapshot, nodeId, false);
        return [.. krs.Select(id => keyResults[id])];
    }

    /// <summary>
    /// The key results that were below a node at any instant of a structure timeline (the node itself, for a key
    /// result), each with its latest definition: whose facts a history over that timeline needs. Exact, and cheap: after
    /// the starting subtree, only edges added below the node bring more (walking up from their parent).
    /// </summary>
    public static ImmutableArray<KeyResultDefinition> KeyResultsUnder(StructureTimeline timeline, string nodeId)
    {
        var s = CycleStructure.FromState(timeline.Base);
        var ever = new Dictionary<string, KeyResultDefinition>();
        void AddBelow(string id)
        {
            foreach (var kr in SubtreeOf(s, id).KeyResults) ever[kr] = s.KeyResults[kr];
        }
        if (s.Exists(nodeId)) AddBelow(nodeId);
        foreach (var change in timeline.Changes)
        {
            s.Apply(change);
            foreach (var op in change.Ops)
            {
                if (op is EdgeAdded a && s.Exists(a.Edge.ChildId) && s.IsAtOrBelow(a.Edge.ParentId, nodeId)) AddBelow(a.Edge.ChildId);
                else if (op is KeyResultPut p && (p.KeyResult.Id == nodeId || ever.ContainsKey(p.KeyResult.Id))) ever[p.KeyResult.Id] = p.KeyResult;
            }
        }
        return [.. ever.Values.OrderBy(k => k.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The history of an objective or key result of the snapshot's cycle. Points: the cycle's start, one a day after
    /// it, one at each fact (check-in or measurement) on or after the start, one at each structural change of the
    /// <paramref name="timeline"/>, and one at the snapshot's time (or the cycle's end or closing, when earlier); a closed
    /// cycle's history stops at its closing. Each point scores the node with the structure valid at that instant — its
    /// subtree, weights, definitions and policy as they were then — so a re-alignment does not rewrite the past; before
    /// the node existed there are no points. Without a timeline the snapshot's structure stands for every instant. The
    /// check-in log lists the check-ins of every key result that was below the node and, for KPI-linked key results,
    /// the KPI's measurements since the cycle started, newest first.
    /// </summary>
    /// <param name="checkIns">Check-ins by key result id (any order; a missing key result has none).</param>
    /// <param name="measurements">Measurements by KPI id (any order; a missing KPI has none).</param>
    /// <exception cref="OkrRejectedException">The node is not in the snapshot (not found, field "nodeId").</exception>
    public static NodeHistory ForNode(CycleSnapshot snapshot, string nodeId,
        IReadOnlyDictionary<string, ImmutableArray<CheckIn>> checkIns,
        IReadOnlyDictionary<string, ImmutableArray<Measurement>> measurements,
        StructureTimeline? timeline = null)
    {
        var objective = snapshot.Objectives.FirstOrDefault(o => o.Id == nodeId);
        var keyResult = objective is null ? snapshot.KeyResults.FirstOrDefault(k => k.Id == nodeId) : null;
        if (objective is null && keyResult is null) throw OkrRejectedException.NotFound("nodeId", nodeId);

        var cycle = snapshot.Cycle;
        var start = cycle.Definition.Start;
        var end = cycle.Definition.End;
        // Nothing changes once a cycle is closed: its history stops there.
        var closedAt = cycle.Closed ? cycle.ClosedAt ?? snapshot.TakenAt : (DateTimeOffset?)null;
        var factsUntil = closedAt ?? DateTimeOffset.MaxValue;
        var horizon = Min(Min(snapshot.TakenAt, end), closedAt ?? DateTimeOffset.MaxValue);

        var keyResults = timeline is null ? KeyResultsUnder(snapshot, nodeId) : KeyResultsUnder(timeline, nodeId);
        var streams = keyResults.Select(kr => new FactStream(kr, FactsOf(kr, checkIns, measurements, factsUntil))).ToDictionary(s => s.KeyResult.Id);

        var points = ImmutableArray.CreateBuilder<HistoryPoint>();
        if (horizon >= start)
        {
            var replay = timeline is null ? null : new Replay(timeline);
            // Without a timeline: the snapshot's structure at every instant.
            var subtree = replay is null ? Subtree(snapshot, nodeId, keyResult is not null) : default;
            var policy = snapshot.Policy;
            var definitions = keyResults.ToDictionary(k => k.Id);
            var exists = true;
            var changeTimes = replay?.Times.Where(t => t >= start && t <= horizon) ?? [];
            var first = true;
            foreach (var at in Timeline(start, horizon, streams.Values.SelectMany(s => s.Times).Where(t => t >= start).Concat(changeTimes)))
            {
                if (replay is not null && (replay.AdvanceTo(at) || first))
                {
                    var structure = replay.Structure;
                    exists = structure.Exists(nodeId);
                    if (exists)
                    {
                        subtree = keyResult is not null ? ([], [], [nodeId]) : SubtreeOf(structure, nodeId);
                        policy = structure.Policy;
                        foreach (var id in subtree.KeyResults) definitions[id] = structure.KeyResults[id];
                    }
                }
                first = false;
                if (!exists) continue;
                var elapsed = Rules.ExpectedProgress(start, end, at);
                var krScores = new Dictionary<string, NodeScore>(subtree.KeyResults.Count);
                foreach (var id in subtree.KeyResults)
                {
                    var kr = definitions[id];
                    var input = streams.TryGetValue(id, out var stream) ? stream.InputAt(at, kr) : KeyResultInput.Initial(kr);
                    krScores[id] = Rules.ScoreKeyResult(kr, input.Current, input.HasValue, input.Confidence, elapsed, policy);
                }
                if (keyResult is not null)
                {
                    var s = krScores[nodeId];
                    points.Add(new HistoryPoint(at, s.Progress, Rules.ExpectedFor(definitions[nodeId].Kind, elapsed), s.Status, s.NoData ? null : s.Value, s.Confidence));
                }
                else
                {
                    var s = GraphScorer.ScoreObjectives(subtree.Objectives, subtree.Edges, krScores, elapsed, policy)[nodeId];
                    points.Add(new HistoryPoint(at, s.Progress, elapsed, s.Status, null, s.Confidence));
                }
            }
        }

        var log = streams.Values
            .SelectMany(s => s.Facts.Where(f => f.At >= start || !f.FromKpi).Select(f =>
                new CheckInEntry(s.KeyResult.Id, s.KeyResult.Title, f.At, f.Value, f.Confidence, f.Note, f.Author, f.AuthorId, f.Via)))
            .OrderBy(e => e.At)
            .Reverse() // newest first; of two at the same time, the later arrival first
            .ToImmutableArray();
        return new NodeHistory(nodeId, objective is null ? NodeKind.KeyResult : NodeKind.Objective,
            objective?.Title ?? keyResult!.Title, start, end, points.ToImmutable(), log);
    }

    /// <summary>A structure replayed forward through a timeline's changes as the history's instants rise.</summary>
    private sealed class Replay(StructureTimeline timeline)
    {
        private int _next;
        public CycleStructure Structure { get; } = CycleStructure.FromState(timeline.Base);
        public IEnumerable<DateTimeOffset> Times => timeline.Changes.Select(c => c.At);

        /// <summary>Applies the changes that took effect by <paramref name="at"/>; true if there were any.</summary>
        public bool AdvanceTo(DateTimeOffset at)
        {
            var moved = false;
            for (; _next < timeline.Changes.Length && timeline.Changes[_next].At <= at; _next++)
            {
                Structure.Apply(timeline.Changes[_next]);
                moved = true;
            }
            return moved;
        }
    }

    /// <summary>
    /// A KPI's history: a point at each measurement time with the measured value (the last arrival wins a tie) and
    /// its health as a status (green on track, yellow at risk, red off track). A KPI has no progress or expected pace:
    /// both are 0. The window is the given cycle's, else the span of the measurements. The log is newest first.
    /// </summary>
    public static NodeHistory ForKpi(KpiDefinition kpi, IEnumerable<Measurement> measurements, CycleDefinition? window)
    {
        var ordered = measurements.OrderBy(m => m.At).ToList();
        var points = ordered
            .GroupBy(m => m.At)
            .Select(g => g.Last())
            .Select(m => new HistoryPoint(m.At, 0, 0, StatusOf(Rules.KpiHealth(kpi.Direction, kpi.Thresholds, m.Value)), m.Value, null))
            .ToImmutableArray();
        var log = Enumerable.Reverse(ordered)
            .Select(m => new CheckInEntry(kpi.Id, kpi.Name, m.At, m.Value, null, m.Note, m.Author, m.AuthorId, m.Via))
            .ToImmutableArray();
        var from = window?.Start ?? (ordered.Count > 0 ? ordered[0].At : default);
        var to = window?.End ?? (ordered.Count > 0 ? ordered[^1].At : default);
        return new NodeHistory(kpi.Id, NodeKind.Kpi, kpi.Name, from, to, points, log);
    }

    /// <summary>KPI health read as a status, so a KPI's history charts like a node's.</summary>
    public static Status StatusOf(Health health) => health switch
    {
        Health.Green => Status.OnTrack,
        Health.Yellow => Status.AtRisk,
        Health.Red => Status.OffTrack,
        _ => Status.NoData,
    };

    /// <summary>The cycle start, a point a day, the horizon and every fact time, in order, each once.</summary>
    private static IEnumerable<DateTimeOffset> Timeline(DateTimeOffset start, DateTimeOffset horizon, IEnumerable<DateTimeOffset> factTimes)
    {
        var times = new SortedSet<DateTimeOffset> { start, horizon };
        for (var t = start + Step; t < horizon; t += Step) times.Add(t);
        times.UnionWith(factTimes);
        return times;
    }

    /// <summary>
    /// An objective's subtree: its objectives (itself included), the edges below them, and its key results. Key
    /// results and objectives reached twice (several parents) are listed once.
    /// </summary>
    private static (List<ObjectiveDefinition> Objectives, List<Edge> Edges, List<string> KeyResults) Subtree(CycleSnapshot snapshot, string objectiveId, bool isKeyResult)
    {
        if (isKeyResult) return ([], [], [objectiveId]);
        var objectives = snapshot.Objectives.ToDictionary(o => o.Id);
        var keyResultIds = snapshot.KeyResults.Select(k => k.Id).ToHashSet();
        var childrenOf = snapshot.Edges.ToLookup(e => e.ParentId);
        var seen = new HashSet<string>();
        var subObjectives = new List<ObjectiveDefinition>();
        var subEdges = new List<Edge>();
        var subKeyResults = new List<string>();
        if (!objectives.ContainsKey(objectiveId)) return (subObjectives, subEdges, subKeyResults);
        var stack = new Stack<string>([objectiveId]);
        while (stack.TryPop(out var id))
        {
            if (!seen.Add(id)) continue;
            if (objectives.TryGetValue(id, out var o))
            {
                subObjectives.Add(o);
                foreach (var e in childrenOf[id])
                {
                    subEdges.Add(e);
                    stack.Push(e.ChildId);
                }
            }
            else if (keyResultIds.Contains(id)) subKeyResults.Add(id);
        }
        subKeyResults.Sort(StringComparer.Ordinal);
        return (subObjectives, subEdges, subKeyResults);
    }

    /// <summary>As <see cref="Subtree(CycleSnapshot, string, bool)"/>, on a structure's own indexes.</summary>
    private static (List<ObjectiveDefinition> Objectives, List<Edge> Edges, List<string> KeyResults) SubtreeOf(CycleStructure structure, string id)
    {
        var seen = new HashSet<string>();
        var subObjectives = new List<ObjectiveDefinition>();
        var subEdges = new List<Edge>();
        var subKeyResults = new List<string>();
        var stack = new Stack<string>([id]);
        while (stack.TryPop(out var n))
        {
            if (!seen.Add(n)) continue;
            if (structure.Objectives.TryGetValue(n, out var o))
            {
                subObjectives.Add(o);
                foreach (var e in structure.ChildrenOf(n))
                {
                    subEdges.Add(e);
                    stack.Push(e.ChildId);
                }
            }
            else if (structure.KeyResults.ContainsKey(n)) subKeyResults.Add(n);
        }
        subKeyResults.Sort(StringComparer.Ordinal);
        return (subObjectives, subEdges, subKeyResults);
    }

    /// <summary>
    /// The facts a key result's value comes from, oldest first; among facts at the same time the order they were
    /// given in (their arrival) is kept, so the later arrival wins as in <see cref="KeyResultInput.FromCheckIns"/>.
    /// </summary>
    private static List<Fact> FactsOf(KeyResultDefinition kr,
        IReadOnlyDictionary<string, ImmutableArray<CheckIn>> checkIns,
        IReadOnlyDictionary<string, ImmutableArray<Measurement>> measurements, DateTimeOffset until)
    {
        var facts = kr.Kind == KeyResultKind.KpiLinked
            ? (kr.KpiId is { } kpi && measurements.TryGetValue(kpi, out var ms) && !ms.IsDefault ? ms : [])
                .Select(m => new Fact(m.At, m.Value, null, m.Note, m.Author, FromKpi: true, m.AuthorId, m.Via))
            : (checkIns.TryGetValue(kr.Id, out var cs) && !cs.IsDefault ? cs : [])
                .Select(c => new Fact(c.At, c.Value, c.Confidence, c.Note, c.Author, FromKpi: false, c.AuthorId, c.Via));
        return facts.Where(f => f.At <= until).OrderBy(f => f.At).ToList();
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private sealed record Fact(DateTimeOffset At, double Value, double? Confidence, string Note, string Author, bool FromKpi, string AuthorId = "", string Via = "");

    /// <summary>A key result's facts, read forward in time: the input as of each moment of a rising timeline.</summary>
    private sealed class FactStream(KeyResultDefinition keyResult, List<Fact> facts)
    {
        private int _next;
        private Fact? _latest;
        private Fact? _latestConfident;

        public KeyResultDefinition KeyResult => keyResult;
        public List<Fact> Facts => facts;
        public IEnumerable<DateTimeOffset> Times => facts.Select(f => f.At);

        /// <summary>The input from the facts up to <paramref name="at"/>; calls must not go back in time.</summary>
        public KeyResultInput InputAt(DateTimeOffset at, KeyResultDefinition keyResult)
        {
            for (; _next < facts.Count && facts[_next].At <= at; _next++)
            {
                _latest = facts[_next];
                if (_latest.Confidence is not null) _latestConfident = _latest;
            }
            // The same rules as the key-result grain: a KPI-linked key result takes the KPI's value and no confidence.
            if (keyResult.Kind == KeyResultKind.KpiLinked) return KeyResultInput.FromKpi(keyResult, _latest?.Value, null);
            return _latest is null ? KeyResultInput.Initial(keyResult) : new KeyResultInput(_latest.Value, true, _latestConfident?.Confidence);
        }
    }
}
