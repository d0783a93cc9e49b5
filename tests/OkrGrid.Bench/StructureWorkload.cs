using OkrGrid.Validation;

namespace OkrGrid.Bench;

/// <param name="All">Every change of the mix, from the call until it returned (committed and the nodes told).</param>
public sealed record ChangeLatency(LatencySummary All, LatencySummary Move, LatencySummary Align, LatencySummary Create, LatencySummary Weight)
{
    public override string ToString() =>
        $"{All}; p50 move {Move.P50Ms:F1} / align {Align.P50Ms:F1} / create {Create.P50Ms:F1} / weight {Weight.P50Ms:F1} ms";
}

/// <param name="Acknowledged">Changes the cycle acknowledged (committed) while the clients ran.</param>
/// <param name="Refused">Changes the cycle refused with a reason (a re-alignment that would close a loop, seen on a stale view).</param>
/// <param name="Created">Objectives and key results created (acknowledged), each verified present afterwards.</param>
/// <param name="Cores">Cores this process (silo and clients; PostgreSQL apart) kept busy meanwhile.</param>
public sealed record BurstResult(int Clients, double Seconds, long Acknowledged, double PerSecond, long Refused, long Errors,
    LatencySummary Acknowledgement, long Created, int NodesAfter, double Cores)
{
    /// <summary>Process CPU per acknowledged change, in microseconds (everything else this process did meanwhile included).</summary>
    public double MicrosecondsPerChange => PerSecond > 0 ? Cores / PerSecond * 1e6 : 0;
}

/// <summary>
/// The bench's own model of a cycle's structure, started from a snapshot and changed by the changes the bench makes
/// one at a time: after them the engine's structure must equal it exactly (nodes, edges, weights).
/// </summary>
public sealed class StructureModel
{
    private static readonly double[] Weights = [0.5, 1, 2, 3];
    private readonly Dictionary<string, ObjectiveDefinition> _objectives = [];
    private readonly Dictionary<string, KeyResultDefinition> _keyResults = [];
    private readonly Dictionary<string, List<Edge>> _parents = [];
    private readonly List<string> _objectiveIds = [];
    private readonly List<string> _alignable = [];
    private readonly List<string> _keyResultIds = [];

    public int NodeCount => _objectives.Count + _keyResults.Count;

    public static StructureModel Of(CycleSnapshot s) => Of(s.Objectives, s.KeyResults, s.Edges);

    public static StructureModel Of(IEnumerable<ObjectiveDefinition> objectives, IEnumerable<KeyResultDefinition> keyResults, IEnumerable<Edge> edges)
    {
        var m = new StructureModel();
        foreach (var o in objectives) m.AddObjective(o);
        foreach (var k in keyResults) m.AddKeyResult(k);
        foreach (var e in edges) m.ParentsOf(e.ChildId).Add(e);
        return m;
    }

    private void AddObjective(ObjectiveDefinition o)
    {
        _objectives[o.Id] = o;
        _objectiveIds.Add(o.Id);
        if (o.Owner.Kind != OwnerKind.Company) _alignable.Add(o.Id);
    }

    private void AddKeyResult(KeyResultDefinition k)
    {
        _keyResults[k.Id] = k;
        _keyResultIds.Add(k.Id);
    }

    private List<Edge> ParentsOf(string id) => _parents.TryGetValue(id, out var list) ? list : _parents[id] = [];

    /// <summary>True when <paramref name="id"/> is <paramref name="ancestor"/> or below it (walks up from <paramref name="id"/>).</summary>
    public bool IsAtOrBelow(string id, string ancestor)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([id]);
        while (stack.TryPop(out var n))
        {
            if (n == ancestor) return true;
            if (!seen.Add(n)) continue;
            foreach (var e in ParentsOf(n)) stack.Push(e.ParentId);
        }
        return false;
    }

    /// <summary>
    /// Makes one change of the mix through the cycle, applies it to the model and returns its latency. The kinds take
    /// turns (<paramref name="turn"/> mod 4): a key result moved to another objective, a team or person objective
    /// re-aligned to another objective (never one that would close a loop), a key result created under an objective,
    /// a weight changed.
    /// </summary>
    public async Task<(string Kind, TimeSpan Elapsed)> ChangeAsync(ICycleGrain cycle, int turn, Random rng)
    {
        switch (turn % 4)
        {
            case 0:
                {
                    var kr = _keyResultIds[rng.Next(_keyResultIds.Count)];
                    var old = ParentsOf(kr).FirstOrDefault();
                    string to;
                    do to = _objectiveIds[rng.Next(_objectiveIds.Count)]; while (to == old?.ParentId);
                    var t0 = Stopwatch.GetTimestamp();
                    await cycle.MoveKeyResultAsync(kr, to);
                    var elapsed = Stopwatch.GetElapsedTime(t0);
                    ParentsOf(kr).Clear();
                    ParentsOf(kr).Add(new Edge(to, kr, old?.Weight ?? 1.0));
                    return ("move", elapsed);
                }
            case 1:
                {
                    string objective, parent;
                    do
                    {
                        objective = _alignable[rng.Next(_alignable.Count)];
                        parent = _objectiveIds[rng.Next(_objectiveIds.Count)];
                    } while (IsAtOrBelow(parent, objective) || ParentsOf(objective).Any(e => e.ParentId == parent));
                    var weight = Weights[rng.Next(Weights.Length)];
                    var t0 = Stopwatch.GetTimestamp();
                    await cycle.AlignObjectiveAsync(objective, [new ParentLink(parent, weight)]);
                    var elapsed = Stopwatch.GetElapsedTime(t0);
                    ParentsOf(objective).Clear();
                    ParentsOf(objective).Add(new Edge(parent, objective, weight));
                    return ("align", elapsed);
                }
            case 2:
                {
                    var parent = _objectives[_objectiveIds[rng.Next(_objectiveIds.Count)]];
                    var weight = Weights[rng.Next(Weights.Length)];
                    var t0 = Stopwatch.GetTimestamp();
                    var created = await cycle.CreateKeyResultAsync(new KeyResultDraft($"Bench key result {turn}", parent.Owner,
                        KeyResultKind.Increase, 0, 100, parent.Id, weight, "pts"));
                    var elapsed = Stopwatch.GetElapsedTime(t0);
                    AddKeyResult(created);
                    ParentsOf(created.Id).Add(new Edge(parent.Id, created.Id, weight));
                    return ("create", elapsed);
                }
            default:
                {
                    List<Edge> parents;
                    string child;
                    do
                    {
                        child = rng.Next(4) == 0 ? _alignable[rng.Next(_alignable.Count)] : _keyResultIds[rng.Next(_keyResultIds.Count)];
                        parents = ParentsOf(child);
                    } while (parents.Count == 0);
                    var i = rng.Next(parents.Count);
                    var edge = parents[i];
                    double weight;
                    do weight = Weights[rng.Next(Weights.Length)]; while (weight == edge.Weight);
                    var t0 = Stopwatch.GetTimestamp();
                    await cycle.SetWeightAsync(edge.ParentId, child, weight);
                    var elapsed = Stopwatch.GetElapsedTime(t0);
                    parents[i] = edge with { Weight = weight };
                    return ("weight", elapsed);
                }
        }
    }

    /// <summary>Makes <paramref name="count"/> changes of the mix one after another (each awaited before the next).</summary>
    public async Task<ChangeLatency> SequentialAsync(ICycleGrain cycle, int count, int warmups, Random rng)
    {
        var all = new Latency();
        var byKind = new Dictionary<string, Latency> { ["move"] = new(), ["align"] = new(), ["create"] = new(), ["weight"] = new() };
        for (int i = -warmups; i < count; i++)
        {
            var (kind, elapsed) = await ChangeAsync(cycle, i + warmups, rng);
            if (i < 0) continue; // untimed: JIT of the paths
            all.Record(elapsed);
            byKind[kind].Record(elapsed);
        }
        return new ChangeLatency(all.Summary(), byKind["move"].Summary(), byKind["align"].Summary(), byKind["create"].Summary(), byKind["weight"].Summary());
    }

    /// <summary>How the engine's structure differs from the model (empty: equal).</summary>
    public List<string> Differences(CycleSnapshot s)
    {
        var diffs = new List<string>();
        if (s.Objectives.Length != _objectives.Count || s.Objectives.Any(o => !_objectives.TryGetValue(o.Id, out var m) || m != o))
            diffs.Add($"objectives: {s.Objectives.Length:N0} in the engine, {_objectives.Count:N0} in the model, or a definition differs");
        if (s.KeyResults.Length != _keyResults.Count || s.KeyResults.Any(k => !_keyResults.TryGetValue(k.Id, out var m) || m != k))
            diffs.Add($"key results: {s.KeyResults.Length:N0} in the engine, {_keyResults.Count:N0} in the model, or a definition differs");
        var model = _parents.Values.SelectMany(l => l).ToHashSet();
        var engine = s.Edges.ToHashSet();
        if (!engine.SetEquals(model))
        {
            var extra = engine.Except(model).Take(3).Select(e => $"{e.ParentId}>{e.ChildId}:{e.Weight}");
            var missing = model.Except(engine).Take(3).Select(e => $"{e.ParentId}>{e.ChildId}:{e.Weight}");
            diffs.Add($"edges: {engine.Count:N0} in the engine, {model.Count:N0} in the model; only in the engine {string.Join(", ", extra)}; " +
                      $"only in the model {string.Join(", ", missing)}");
        }
        return diffs;
    }

    /// <summary>
    /// What must hold of any structure whatever the order concurrent changes took: no loop among objectives (Kahn's
    /// algorithm), at most one objective per key result, every edge between nodes of the cycle, every node in
    /// <paramref name="mustExist"/> present.
    /// </summary>
    public static List<string> Problems(CycleSnapshot s, IEnumerable<string> mustExist)
    {
        var problems = new List<string>();
        var objectives = s.Objectives.Select(o => o.Id).ToHashSet();
        var keyResults = s.KeyResults.Select(k => k.Id).ToHashSet();
        var missing = mustExist.Where(id => !objectives.Contains(id) && !keyResults.Contains(id)).ToList();
        if (missing.Count > 0) problems.Add($"{missing.Count:N0} acknowledged created node(s) missing, e.g. {string.Join(", ", missing.Take(3))}");
        var dangling = s.Edges.Where(e => !objectives.Contains(e.ParentId) || !(objectives.Contains(e.ChildId) || keyResults.Contains(e.ChildId))).ToList();
        if (dangling.Count > 0) problems.Add($"{dangling.Count} edge(s) to or from no node, e.g. {dangling[0].ParentId}>{dangling[0].ChildId}");
        var twice = s.Edges.Where(e => keyResults.Contains(e.ChildId)).GroupBy(e => e.ChildId).Where(g => g.Count() > 1).ToList();
        if (twice.Count > 0) problems.Add($"{twice.Count} key result(s) under more than one objective, e.g. {twice[0].Key}");
        var inDegree = objectives.ToDictionary(id => id, _ => 0);
        var children = new Dictionary<string, List<string>>();
        foreach (var e in s.Edges.Where(e => objectives.Contains(e.ChildId) && objectives.Contains(e.ParentId)))
        {
            inDegree[e.ChildId]++;
            (children.TryGetValue(e.ParentId, out var l) ? l : children[e.ParentId] = []).Add(e.ChildId);
        }
        var ready = new Queue<string>(inDegree.Where(kv => kv.Value == 0).Select(kv => kv.Key));
        var ordered = 0;
        while (ready.TryDequeue(out var id))
        {
            ordered++;
            foreach (var c in children.GetValueOrDefault(id) ?? [])
                if (--inDegree[c] == 0) ready.Enqueue(c);
        }
        if (ordered != objectives.Count) problems.Add($"a loop: {objectives.Count - ordered} objective(s) are on or below one");
        return problems;
    }
}

/// <summary>The share of each kind of change in a planning burst (any positive weights).</summary>
public sealed record BurstMix(double CreateObjective, double CreateKeyResult, double MoveKeyResult, double AlignObjective)
{
    /// <summary>Planning: new objectives and key results, and things moved around (a third creates, so the cycle grows moderately).</summary>
    public static readonly BurstMix Planning = new(0.10, 0.25, 0.45, 0.20);

    /// <summary>Moves only: changes that do not grow the cycle.</summary>
    public static readonly BurstMix MovesOnly = new(0, 0, 0.7, 0.3);
}

/// <summary>
/// Many planners changing one cycle at once: each client makes one change after another, picked from what it knows of
/// the structure (the snapshot it started from and the nodes acknowledged since — a stale view, so a re-alignment may
/// be refused as a loop). Counted when acknowledged (committed); created nodes are kept for the check afterwards.
/// </summary>
public sealed class PlanningBurst
{
    private readonly Lock _gate = new();
    private readonly List<(string Id, Owner Owner)> _objectives = [];
    private readonly List<string> _alignable = [];
    private readonly List<string> _keyResults = [];
    private readonly ConcurrentQueue<string> _created = new();

    private PlanningBurst() { }

    public static PlanningBurst Of(CycleSnapshot s)
    {
        var b = new PlanningBurst();
        foreach (var o in s.Objectives)
        {
            b._objectives.Add((o.Id, o.Owner));
            if (o.Owner.Kind != OwnerKind.Company) b._alignable.Add(o.Id);
        }
        b._keyResults.AddRange(s.KeyResults.Select(k => k.Id));
        return b;
    }

    /// <summary>Every node the cycle acknowledged creating, in all runs so far.</summary>
    public IReadOnlyCollection<string> Created => _created;

    /// <summary>Runs <paramref name="clients"/> clients until <paramref name="stop"/>; every call in flight then completes.</summary>
    public async Task<BurstResult> RunAsync(IClusterClient client, string cycleId, int clients, BurstMix mix, int seed, CancellationToken stop)
    {
        var cycle = client.GetGrain<ICycleGrain>(cycleId);
        var latency = new Latency();
        long acknowledged = 0, refused = 0, errors = 0, created = 0;
        var total = mix.CreateObjective + mix.CreateKeyResult + mix.MoveKeyResult + mix.AlignObjective;
        var started = Stopwatch.GetTimestamp();
        var cpu = CpuUse.MeasureSelf();
        var workers = Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var rng = new Random(HashCode.Combine(seed, w));
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var roll = rng.NextDouble() * total;
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    string? newId = null;
                    if ((roll -= mix.CreateObjective) < 0)
                    {
                        var (parent, owner) = RandomObjective(rng);
                        var o = await cycle.CreateObjectiveAsync(new ObjectiveDraft($"Planned objective {w}.{n++}", owner,
                            Parents: [new ParentLink(parent, 1)]));
                        newId = o.Id;
                        lock (_gate) { _objectives.Add((o.Id, o.Owner)); _alignable.Add(o.Id); }
                    }
                    else if ((roll -= mix.CreateKeyResult) < 0)
                    {
                        var (parent, owner) = RandomObjective(rng);
                        var k = await cycle.CreateKeyResultAsync(new KeyResultDraft($"Planned key result {w}.{n++}", owner,
                            KeyResultKind.Increase, 0, 100, parent, 1, "pts"));
                        newId = k.Id;
                        lock (_gate) _keyResults.Add(k.Id);
                    }
                    else if ((roll -= mix.MoveKeyResult) < 0)
                    {
                        string kr;
                        lock (_gate) kr = _keyResults[rng.Next(_keyResults.Count)];
                        await cycle.MoveKeyResultAsync(kr, RandomObjective(rng).Id);
                    }
                    else
                    {
                        string objective;
                        lock (_gate) objective = _alignable[rng.Next(_alignable.Count)];
                        var parent = RandomObjective(rng).Id;
                        if (parent == objective) continue;
                        await cycle.AlignObjectiveAsync(objective, [new ParentLink(parent, 1)]);
                    }
                    latency.Record(Stopwatch.GetElapsedTime(t0));
                    Interlocked.Increment(ref acknowledged);
                    if (newId is not null)
                    {
                        _created.Enqueue(newId);
                        Interlocked.Increment(ref created);
                    }
                }
                catch (OkrRejectedException)
                {
                    Interlocked.Increment(ref refused);
                }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref errors) <= 3) Console.Error.WriteLine($"Planning burst: {e.GetType().Name}: {e.Message}");
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cores = cpu();
        int nodes;
        lock (_gate) nodes = _objectives.Count + _keyResults.Count;
        return new BurstResult(clients, seconds, acknowledged, acknowledged / seconds, refused, errors, latency.Summary(), created, nodes, cores);
    }

    private (string Id, Owner Owner) RandomObjective(Random rng)
    {
        lock (_gate) return _objectives[rng.Next(_objectives.Count)];
    }
}
