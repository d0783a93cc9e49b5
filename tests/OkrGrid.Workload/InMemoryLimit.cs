namespace OkrGrid.Workload;

/// <summary>
/// The in-memory limit: the same check-ins applied by one thread with the same pure rules and no I/O. Each check-in
/// recomputes its key result and every ancestor once, deepest first. What the engine loses against this is the
/// cost of grains, messages and storage.
/// </summary>
public sealed class InMemoryLimit
{
    private readonly Dictionary<string, int> _index = [];
    private readonly KeyResultDefinition?[] _keyResults;
    private readonly ObjectiveDefinition?[] _objectives;
    private readonly (int Child, double Weight, bool IsObjective)[][] _children;
    private readonly int[][] _parents;
    private readonly int[] _height;
    private readonly double[] _progress;
    private readonly double[] _current;
    private readonly long[] _latestStamp;
    private readonly double _elapsed;
    private readonly ScoringPolicy _policy;
    private readonly List<int> _affected = [];
    private readonly HashSet<int> _seen = [];

    public InMemoryLimit(SyntheticOrg org, double elapsed, ScoringPolicy policy)
    {
        _elapsed = elapsed;
        _policy = policy;
        var n = org.NodeCount;
        _objectives = new ObjectiveDefinition?[n];
        _keyResults = new KeyResultDefinition?[n];
        foreach (var o in org.Objectives) { _index[o.Id] = _index.Count; _objectives[_index[o.Id]] = o; }
        foreach (var k in org.KeyResults) { _index[k.Id] = _index.Count; _keyResults[_index[k.Id]] = k; }
        var children = Enumerable.Range(0, n).Select(_ => new List<(int, double, bool)>()).ToArray();
        var parents = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        foreach (var e in org.Edges)
        {
            int p = _index[e.ParentId], c = _index[e.ChildId];
            children[p].Add((c, e.Weight, _objectives[c] is not null));
            parents[c].Add(p);
        }
        _children = children.Select(l => l.ToArray()).ToArray();
        _parents = parents.Select(l => l.ToArray()).ToArray();
        _progress = new double[n];
        _current = new double[n];
        _latestStamp = new long[n];
        _height = new int[n];
        foreach (var k in org.KeyResults)
        {
            var i = _index[k.Id];
            _current[i] = k.Start;
            _latestStamp[i] = long.MinValue;
            _progress[i] = Rules.Clamp(Rules.RawProgress(k.Kind, k.Start, k.Target, k.Start));
        }
        // Heights (longest path down to a key result) order the recomputation; the initial scores follow it.
        var order = Enumerable.Range(0, n).Where(i => _objectives[i] is not null).OrderBy(Height).ToList();
        foreach (var i in order) _progress[i] = Recompute(i);
    }

    private int Height(int i)
    {
        if (_height[i] != 0 || _objectives[i] is null) return _height[i];
        var h = 1;
        foreach (var (c, _, _) in _children[i]) h = Math.Max(h, Height(c) + 1);
        return _height[i] = h;
    }

    public int IndexOf(string id) => _index[id];

    public double ProgressOf(string id) => _progress[_index[id]];

    /// <summary>Applies a check-in (ordered by <paramref name="stamp"/>: an older one does not replace a newer one).</summary>
    public void CheckIn(int keyResult, double value, long stamp)
    {
        if (stamp < _latestStamp[keyResult]) return;
        _latestStamp[keyResult] = stamp;
        _current[keyResult] = value;
        var kr = _keyResults[keyResult]!;
        _progress[keyResult] = Rules.Clamp(Rules.RawProgress(kr.Kind, kr.Start, kr.Target, value));
        _ = Rules.StatusOf(_progress[keyResult], Rules.ExpectedFor(kr.Kind, _elapsed), _policy);

        _affected.Clear();
        _seen.Clear();
        Collect(keyResult);
        _affected.Sort((a, b) => _height[a].CompareTo(_height[b]));
        foreach (var o in _affected) _progress[o] = Recompute(o);
    }

    private void Collect(int node)
    {
        foreach (var p in _parents[node])
            if (_seen.Add(p)) { _affected.Add(p); Collect(p); }
    }

    private double Recompute(int objective)
    {
        var def = _objectives[objective]!;
        var children = _children[objective];
        var contributions = new Contribution[children.Length];
        for (int i = 0; i < children.Length; i++)
        {
            var (c, w, isObjective) = children[i];
            contributions[i] = new Contribution(isObjective ? NodeKind.Objective : NodeKind.KeyResult, w, _progress[c], null);
        }
        var score = Rules.ScoreObjective(def, contributions, _elapsed, _policy);
        return score.Progress;
    }
}
