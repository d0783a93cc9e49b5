using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OkrGrid.Structure;

namespace OkrGrid.Web.Porting;

/// <summary>
/// Reads the rows of an import against the cycle and company as they are and says what applying it would do — or,
/// when anything is wrong, every refusal with its file, row and column. Pure: the same rows and target give the same
/// plan, and nothing is changed here.
/// </summary>
/// <remarks>
/// Rows are upserted by id; a row of objectives.csv or key-results.csv without an id is found by its title path
/// ("Company objective / Team objective / Key result") among the file's paths and the cycle's, or else created with an
/// id made from its title. A node listed in the file ends with exactly the parents alignment.csv gives it (none: top
/// level), which is how a node moves; nodes not listed stay as they are, and nothing is ever deleted. Teams, people
/// and KPIs are added when new; one that exists with other values is refused (an import does not rename them).
/// Check-ins and measurements are added once per client id (a row without one gets an id made from its content, so
/// importing the same file twice adds it once).
/// </remarks>
public static class ImportPlanner
{
    private static readonly string[] PolicyColumns = ["on_track_margin", "at_risk_margin", "stretch_met"];

    private static readonly TimeSpan FutureSkew = TimeSpan.FromMinutes(5);

    public static ImportPlan Plan(RawDocument doc, PortTarget target, bool dryRun) => new Planner(doc, target).Run(dryRun);

    /// <summary>A node's title path: its titles from the top down along each node's main parent (the heaviest, then by title, then id).</summary>
    public static Dictionary<string, string> Paths(IEnumerable<ObjectiveDefinition> objectives, IEnumerable<KeyResultDefinition> keyResults, IEnumerable<Edge> edges)
    {
        var titles = new Dictionary<string, string>();
        foreach (var o in objectives) titles[o.Id] = o.Title;
        foreach (var k in keyResults) titles[k.Id] = k.Title;
        var main = edges.Where(e => titles.ContainsKey(e.ParentId) && titles.ContainsKey(e.ChildId)).GroupBy(e => e.ChildId)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(e => e.Weight).ThenBy(e => titles[e.ParentId], StringComparer.Ordinal)
                .ThenBy(e => e.ParentId, StringComparer.Ordinal).First().ParentId);
        var paths = new Dictionary<string, string>();
        foreach (var id in titles.Keys)
        {
            var chain = new List<string>();
            var seen = new HashSet<string>();
            for (string? at = id; at is not null && seen.Add(at); at = main.GetValueOrDefault(at)) chain.Add(titles[at]);
            chain.Reverse();
            paths[id] = string.Join(PathSeparator, chain);
        }
        return paths;
    }

    public const string PathSeparator = " / ";

    private sealed class Node
    {
        public required string Local { get; init; }
        public required string Id { get; init; }
        public required bool IsObjective { get; init; }
        public required RawRow Row { get; init; }
        public ObjectiveDefinition? Objective { get; set; }
        public KeyResultDefinition? KeyResult { get; set; }
        public string Title => Objective?.Title ?? KeyResult?.Title ?? Row.Cells.GetValueOrDefault("title") ?? Local;
    }

    private sealed class Planner(RawDocument doc, PortTarget target)
    {
        private readonly List<Refusal> _refusals = [.. doc.Refusals];
        private readonly List<PortCreate> _creates = [];
        private readonly List<PortUpdate> _updates = [];
        private readonly List<PortMove> _moves = [];
        private readonly string _cycle = target.CycleId;
        private readonly Dictionary<string, Team> _teams = target.Organisation.Teams.ToDictionary(t => t.Id);
        private readonly Dictionary<string, Person> _people = target.Organisation.People.ToDictionary(p => p.Id);
        private readonly Dictionary<string, KpiDefinition> _kpis = new(target.Kpis);
        private readonly Dictionary<string, ObjectiveDefinition> _objectives = target.Snapshot?.Objectives.ToDictionary(o => o.Id) ?? [];
        private readonly Dictionary<string, KeyResultDefinition> _keyResults = target.Snapshot?.KeyResults.ToDictionary(k => k.Id) ?? [];
        private readonly ImmutableArray<Edge> _edges = target.Snapshot?.Edges ?? [];
        private readonly Dictionary<string, Node> _nodes = []; // by full id
        private readonly Dictionary<string, Node> _byPath = [];
        private Dictionary<string, string> _existingPaths = [];
        private ILookup<string, string> _byExistingPath = Array.Empty<string>().ToLookup(x => x);

        public ImportPlan Run(bool dryRun)
        {
            var (newCycle, cycleStart, policy) = PlanCycle();
            var teams = PlanTeams();
            var people = PlanPeople();
            var kpis = PlanKpis();
            _existingPaths = Paths(_objectives.Values, _keyResults.Values, _edges);
            _byExistingPath = _existingPaths.ToLookup(p => p.Value, p => p.Key);
            IdentifyNodes();
            DefineNodes();
            var edges = PlanAlignment();
            var checkIns = PlanCheckIns(cycleStart);
            var measurements = PlanMeasurements();

            var listedObjectives = _nodes.Values.Where(n => n.IsObjective && n.Objective is not null).Select(n => n.Objective!).ToImmutableArray();
            var listedKeyResults = _nodes.Values.Where(n => !n.IsObjective && n.KeyResult is not null).Select(n => n.KeyResult!).ToImmutableArray();
            var report = new ImportReport(_cycle, dryRun, false, [.. doc.Sources], [.. _creates], [.. _updates], [.. _moves],
                [.. checkIns.Select(c => new PortEntry(c.KeyResultId, TitleOf(c.KeyResultId), c.CheckIn.ClientId, c.CheckIn.At, c.CheckIn.Value))],
                [.. measurements.Select(m => new PortEntry(m.KpiId, _kpis[m.KpiId].Name, m.Measurement.ClientId, m.Measurement.At, m.Measurement.Value))],
                [.. _refusals]);
            var structural = _creates.Any(c => c.Kind is "objective" or "keyResult") || _updates.Any(u => u.Kind is "objective" or "keyResult" or "cycle") || _moves.Count > 0;
            var summary = $"{string.Join(", ", doc.Sources)}: {_creates.Count} created, {_updates.Count} changed, {_moves.Count} moved, "
                + $"{checkIns.Count} check-ins, {measurements.Count} measurements";
            return new ImportPlan
            {
                Report = report,
                NewCycle = newCycle,
                Teams = teams,
                People = people,
                Kpis = kpis,
                Upsert = structural || checkIns.Count > 0 || measurements.Count > 0
                    ? new CycleUpsert(listedObjectives, listedKeyResults, edges, policy, summary)
                    : null,
                CheckIns = [.. checkIns],
                Measurements = [.. measurements],
            };
        }

        private string TitleOf(string nodeId) =>
            _nodes.TryGetValue(nodeId, out var n) ? n.Title
            : _keyResults.TryGetValue(nodeId, out var k) ? k.Title
            : _objectives.TryGetValue(nodeId, out var o) ? o.Title : nodeId;

        // ---- The cycle ---------------------------------------------------------------------------------------

        private (CycleDefinition? NewCycle, DateTimeOffset Start, ScoringPolicy? Policy) PlanCycle()
        {
            var rows = doc[PortTables.Cycle];
            foreach (var extra in rows.Skip(1)) _refusals.Add(extra.Refuse("id", "cycle.csv has one row: the cycle."));
            var row = rows is [var first, ..] ? first : null;
            var cells = row is null ? null : new Cells(row, _refusals);
            CycleDefinition? created = null;
            DateTimeOffset start;
            var current = target.Snapshot?.Policy ?? target.Organisation.Policy;
            if (target.Cycle is { } existing)
            {
                start = existing.Definition.Start;
                if (existing.Closed)
                    _refusals.Add(new Refusal(row?.File ?? "cycle", row is { Json: false } ? row.Row : null, "id",
                        $"cycle '{_cycle}' is closed; reopen it to import into it."));
            }
            else if (cells is null)
            {
                _refusals.Add(new Refusal(PortTables.Cycle.FileName, null, "file",
                    $"cycle '{_cycle}' does not exist: to create it, the import needs the cycle's name, start and end (cycle.csv, or \"cycle\" in JSON)."));
                start = DateTimeOffset.MinValue;
            }
            else
            {
                var name = cells.Checked("name", () => Check.Title("name", cells.Required("name"), Check.MaxName));
                var s = cells.Date("start", required: true);
                var e = cells.Date("end", required: true);
                start = s ?? DateTimeOffset.MinValue;
                if (s is { } a && e is { } b)
                    cells.Valid(null, () => Check.CycleSpan(a, b));
                if (name is not null && s is not null && e is not null)
                {
                    created = new CycleDefinition(_cycle, name, s.Value, e.Value);
                    _creates.Add(new PortCreate("cycle", _cycle, name));
                }
            }
            ScoringPolicy? policy = null;
            if (cells is not null)
            {
                var values = PolicyColumns.Select(c => (Column: c, Value: cells.Number(c, required: false))).ToList();
                if (values.All(v => v.Value is not null))
                {
                    policy = new ScoringPolicy(values[0].Value!.Value, values[1].Value!.Value, values[2].Value!.Value);
                    var bad = PolicyProblem(policy);
                    if (bad is { } p) { cells.Fail(p.Column, p.Reason); policy = null; }
                    else if (policy != current)
                    {
                        if (policy.OnTrackMargin != current.OnTrackMargin) _updates.Add(new("cycle", _cycle, "policy", "onTrackMargin", N(current.OnTrackMargin), N(policy.OnTrackMargin)));
                        if (policy.AtRiskMargin != current.AtRiskMargin) _updates.Add(new("cycle", _cycle, "policy", "atRiskMargin", N(current.AtRiskMargin), N(policy.AtRiskMargin)));
                        if (policy.StretchMet != current.StretchMet) _updates.Add(new("cycle", _cycle, "policy", "stretchMet", N(current.StretchMet), N(policy.StretchMet)));
                    }
                    else policy = null;
                }
                else if (values.Any(v => v.Value is not null))
                    foreach (var v in values.Where(v => v.Value is null))
                        cells.Fail(v.Column, "the scoring policy needs all three of on_track_margin, at_risk_margin and stretch_met, or none.");
            }
            return (created, start, policy);
        }

        /// <summary>The company's rules for a scoring policy (as the organisation checks them).</summary>
        private static (string Column, string Reason)? PolicyProblem(ScoringPolicy p)
        {
            if (p.OnTrackMargin is < 0 or > 1) return ("on_track_margin", "must be between 0 and 1.");
            if (p.AtRiskMargin < p.OnTrackMargin || p.AtRiskMargin > 1) return ("at_risk_margin", "must be between the on-track margin and 1.");
            if (p.StretchMet is <= 0 or > 1) return ("stretch_met", "must be above 0 and at most 1.");
            return null;
        }

        // ---- Teams, people, KPIs ---------------------------------------------------------------------------

        private ImmutableArray<Team> PlanTeams()
        {
            var added = new Dictionary<string, (Team Team, RawRow Row)>();
            foreach (var row in doc[PortTables.Teams])
            {
                var c = new Cells(row, _refusals);
                var id = c.Checked("id", () => Check.Slug("id", c.Required("id")));
                var name = c.Checked("name", () => Check.Title("name", c.Required("name"), Check.MaxName));
                var parent = c.Text("parent_team_id");
                if (id is null || name is null) continue;
                if (added.ContainsKey(id)) { c.Fail("id", $"team '{id}' is listed twice."); continue; }
                var team = new Team(id, name, parent);
                if (_teams.TryGetValue(id, out var existing))
                {
                    if (existing != team)
                        c.Fail(existing.Name != name ? "name" : "parent_team_id",
                            $"team '{id}' exists as \"{existing.Name}\"{(existing.ParentTeamId is { } p ? $" under '{p}'" : "")}; an import adds teams but does not rename or move them.");
                    continue;
                }
                added[id] = (team, row);
            }
            // Parents before children; a parent that is neither known nor added, or a loop, is refused.
            var ordered = new List<Team>();
            var placed = new HashSet<string>(_teams.Keys);
            var left = added.Values.ToList();
            while (left.Count > 0)
            {
                var ready = left.Where(t => t.Team.ParentTeamId is null || placed.Contains(t.Team.ParentTeamId)).ToList();
                if (ready.Count == 0) break;
                foreach (var t in ready) { ordered.Add(t.Team); placed.Add(t.Team.Id); left.Remove(t); }
            }
            foreach (var (team, row) in left)
                _refusals.Add(row.Refuse("parent_team_id", added.ContainsKey(team.ParentTeamId!)
                    ? $"the teams' parents make a loop through '{team.ParentTeamId}'."
                    : $"'{team.ParentTeamId}' is not a team (of the company or of this file)."));
            foreach (var t in ordered) { _teams[t.Id] = t; _creates.Add(new PortCreate("team", t.Id, t.Name)); }
            return [.. ordered];
        }

        private ImmutableArray<Person> PlanPeople()
        {
            var added = new List<Person>();
            var seen = new HashSet<string>();
            foreach (var row in doc[PortTables.People])
            {
                var c = new Cells(row, _refusals);
                var id = c.Checked("id", () => Check.Slug("id", c.Required("id")));
                var name = c.Checked("name", () => Check.Title("name", c.Required("name"), Check.MaxName));
                var team = c.Required("team_id");
                if (id is null || name is null || team is null) continue;
                if (!seen.Add(id)) { c.Fail("id", $"person '{id}' is listed twice."); continue; }
                if (!_teams.ContainsKey(team)) { c.Fail("team_id", $"'{team}' is not a team (of the company or of teams.csv)."); continue; }
                var person = new Person(id, name, team);
                if (_people.TryGetValue(id, out var existing))
                {
                    if (existing != person)
                        c.Fail(existing.Name != name ? "name" : "team_id",
                            $"person '{id}' exists as \"{existing.Name}\" in team '{existing.TeamId}'; an import adds people but does not rename or move them.");
                    continue;
                }
                added.Add(person);
            }
            foreach (var p in added) { _people[p.Id] = p; _creates.Add(new PortCreate("person", p.Id, p.Name)); }
            return [.. added];
        }

        private ImmutableArray<KpiDefinition> PlanKpis()
        {
            var added = new List<KpiDefinition>();
            var seen = new HashSet<string>();
            foreach (var row in doc[PortTables.Kpis])
            {
                var c = new Cells(row, _refusals);
                var id = c.Checked("id", () => Check.Slug("id", c.Required("id")));
                var name = c.Checked("name", () => Check.Title("name", c.Required("name"), Check.MaxName));
                var unit = c.Checked("unit", () => Check.Text("unit", c.Text("unit"), Check.MaxUnit));
                var direction = c.Enum<Direction>("direction", required: true);
                var green = c.Number("green", required: true);
                var yellow = c.Number("yellow", required: true);
                var baseline = c.Number("baseline", required: true);
                var owner = OwnerOf(c);
                if (id is null || name is null || unit is null || direction is null || green is null || yellow is null || baseline is null || owner is null) continue;
                if (direction == Direction.HigherIsBetter ? green < yellow : green > yellow)
                {
                    c.Fail("green", direction == Direction.HigherIsBetter
                        ? "with higher-is-better the green threshold must be at or above the yellow one."
                        : "with lower-is-better the green threshold must be at or below the yellow one.");
                    continue;
                }
                if (!seen.Add(id)) { c.Fail("id", $"KPI '{id}' is listed twice."); continue; }
                var kpi = new KpiDefinition(id, name, unit, direction.Value, new KpiThresholds(green.Value, yellow.Value), baseline.Value, owner);
                if (_kpis.TryGetValue(id, out var existing))
                {
                    if (existing != kpi) c.Fail("id", $"KPI '{id}' exists with other values ({Differences(existing, kpi)}); an import adds KPIs but does not redefine them.");
                    continue;
                }
                added.Add(kpi);
            }
            foreach (var k in added) { _kpis[k.Id] = k; _creates.Add(new PortCreate("kpi", k.Id, k.Name)); }
            return [.. added];
        }

        private static string Differences(KpiDefinition a, KpiDefinition b) => string.Join(", ", new[]
        {
            a.Name != b.Name ? "name" : null, a.Unit != b.Unit ? "unit" : null, a.Direction != b.Direction ? "direction" : null,
            a.Thresholds != b.Thresholds ? "thresholds" : null, a.Baseline != b.Baseline ? "baseline" : null, a.Owner != b.Owner ? "owner" : null,
        }.OfType<string>());

        private Owner? OwnerOf(Cells c)
        {
            var kind = c.Enum<OwnerKind>("owner_kind", required: true);
            if (kind is null) return null;
            if (kind == OwnerKind.Company) return Owner.Company(target.CompanyId);
            var id = c.Required("owner_id");
            if (id is null) return null;
            if (kind == OwnerKind.Team && !_teams.ContainsKey(id)) { c.Fail("owner_id", $"'{id}' is not a team (of the company or of teams.csv)."); return null; }
            if (kind == OwnerKind.Person && !_people.ContainsKey(id)) { c.Fail("owner_id", $"'{id}' is not a person (of the company or of people.csv)."); return null; }
            return new Owner(kind.Value, id);
        }

        // ---- Objectives and key results ----------------------------------------------------------------------

        private string Full(string local) => NodeIds.Compose(_cycle, local);

        /// <summary>A node's id as a file may write it: its local part ("o1"), or with a cycle in front ("2026-q1:o1").</summary>
        private static string LocalOf(string id)
        {
            var colon = id.IndexOf(NodeIds.Separator);
            return colon > 0 && !id.Contains(PathSeparator, StringComparison.Ordinal) ? id[(colon + 1)..] : id;
        }

        private void IdentifyNodes()
        {
            var taken = new HashSet<string>(_objectives.Keys.Concat(_keyResults.Keys));
            foreach (var (table, isObjective) in new[] { (PortTables.Objectives, true), (PortTables.KeyResults, false) })
                foreach (var row in doc[table])
                {
                    var c = new Cells(row, _refusals);
                    var path = c.Text("path")?.Trim();
                    string? full;
                    if (c.Text("id") is { } written)
                    {
                        var local = c.Checked("id", () => Check.Slug("id", LocalOf(written.Trim())));
                        if (local is null) continue;
                        full = Full(local);
                    }
                    else if (path is { Length: > 0 })
                    {
                        if (_byPath.ContainsKey(path)) { c.Fail("path", $"\"{path}\" is listed twice; give the rows ids to tell them apart."); continue; }
                        var match = _byExistingPath[path].Where(id => isObjective ? _objectives.ContainsKey(id) : _keyResults.ContainsKey(id)).ToList();
                        if (match.Count > 1) { c.Fail("path", $"\"{path}\" names {match.Count} nodes of cycle '{_cycle}'; give the row an id."); continue; }
                        full = match.Count == 1 ? match[0] : Full(NewLocal(isObjective ? "o" : "kr", c.Text("title") ?? path, taken));
                    }
                    else { c.Fail("id", "each row needs an id or a title path (column path)."); continue; }
                    if (_nodes.TryGetValue(full, out var twice))
                    {
                        c.Fail("id", $"'{LocalOf(full)}' is listed twice (also in {twice.Row.File}{(twice.Row.Json ? "" : $" row {twice.Row.Row}")}).");
                        continue;
                    }
                    if (isObjective ? _keyResults.ContainsKey(full) : _objectives.ContainsKey(full))
                    {
                        c.Fail("id", $"'{LocalOf(full)}' is {(isObjective ? "a key result" : "an objective")} in cycle '{_cycle}'.");
                        continue;
                    }
                    taken.Add(full);
                    var node = new Node { Local = LocalOf(full), Id = full, IsObjective = isObjective, Row = row };
                    _nodes[full] = node;
                    if (path is { Length: > 0 }) _byPath.TryAdd(path, node);
                }
        }

        /// <summary>An id for a new node that has none: its title as a slug, made unique.</summary>
        private string NewLocal(string prefix, string title, HashSet<string> taken)
        {
            var slug = new string([.. title.ToLowerInvariant().Select(ch => ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? ch : '-')]);
            slug = string.Join('-', slug.Split('-', StringSplitOptions.RemoveEmptyEntries));
            var stem = $"{prefix}-{(slug.Length > 40 ? slug[..40].TrimEnd('-') : slug)}".TrimEnd('-');
            var local = stem;
            for (var n = 2; taken.Contains(Full(local)) || _nodes.ContainsKey(Full(local)); n++) local = $"{stem}-{n}";
            return local;
        }

        private void DefineNodes()
        {
            foreach (var node in _nodes.Values)
            {
                var c = new Cells(node.Row, _refusals);
                var title = c.Checked("title", () => Check.Title("title", c.Required("title")));
                var owner = OwnerOf(c);
                if (node.IsObjective)
                {
                    var description = c.Checked("description", () => Check.Text("description", c.Text("description"), Check.MaxDescription));
                    var rollUp = c.Enum<RollUpMode>("roll_up", required: false) ?? RollUpMode.KeyResultsAndObjectives;
                    if (title is null || owner is null || description is null) continue;
                    node.Objective = new ObjectiveDefinition(node.Id, _cycle, title, description, owner, rollUp);
                    if (_objectives.TryGetValue(node.Id, out var old))
                    {
                        Changed("objective", node, "title", old.Title, title);
                        Changed("objective", node, "description", old.Description, description);
                        Changed("objective", node, "owner", old.Owner.ToString(), owner.ToString());
                        Changed("objective", node, "rollUp", PortCodec.Text(old.RollUp), PortCodec.Text(rollUp));
                    }
                    else _creates.Add(new PortCreate("objective", node.Local, title));
                }
                else
                {
                    var kind = c.Enum<KeyResultKind>("kind", required: true);
                    var start = c.Number("start", required: true);
                    var targetValue = c.Number("target", required: true);
                    var unit = c.Checked("unit", () => Check.Text("unit", c.Text("unit"), Check.MaxUnit));
                    var kpiId = c.Text("kpi_id");
                    if (kpiId is not null && !_kpis.ContainsKey(kpiId)) { c.Fail("kpi_id", $"'{kpiId}' is not a KPI (of the company or of kpis.csv)."); continue; }
                    if (title is null || owner is null || kind is null || start is null || targetValue is null || unit is null) continue;
                    try { Check.KeyResultShape(kind.Value, start.Value, targetValue.Value, kpiId); }
                    catch (OkrRejectedException e)
                    {
                        c.Fail(e.Field switch { "kpiId" => "kpi_id", var f => f }, e.Reason);
                        continue;
                    }
                    node.KeyResult = new KeyResultDefinition(node.Id, _cycle, title, owner, kind.Value, start.Value, targetValue.Value, unit, kpiId);
                    if (_keyResults.TryGetValue(node.Id, out var old))
                    {
                        Changed("keyResult", node, "title", old.Title, title);
                        Changed("keyResult", node, "owner", old.Owner.ToString(), owner.ToString());
                        Changed("keyResult", node, "kind", PortCodec.Text(old.Kind), PortCodec.Text(kind.Value));
                        Changed("keyResult", node, "start", N(old.Start), N(start.Value));
                        Changed("keyResult", node, "target", N(old.Target), N(targetValue.Value));
                        Changed("keyResult", node, "unit", old.Unit, unit);
                        Changed("keyResult", node, "kpiId", old.KpiId ?? "", kpiId ?? "");
                    }
                    else _creates.Add(new PortCreate("keyResult", node.Local, title));
                }
            }
        }

        private void Changed(string kind, Node node, string field, string old, string @new)
        {
            if (old != @new) _updates.Add(new PortUpdate(kind, node.Local, node.Title, field, old, @new));
        }

        /// <summary>A reference to a node: an id (with or without its cycle), or a title path of the file or of the cycle.</summary>
        private string? Resolve(string reference)
        {
            reference = reference.Trim();
            foreach (var candidate in new[] { reference, LocalOf(reference) })
            {
                var full = Full(candidate);
                if (_nodes.ContainsKey(full) || _objectives.ContainsKey(full) || _keyResults.ContainsKey(full)) return full;
            }
            if (_byPath.TryGetValue(reference, out var node)) return node.Id;
            var existing = _byExistingPath[reference].ToList();
            return existing.Count == 1 ? existing[0] : null;
        }

        private bool IsObjective(string id) => _nodes.TryGetValue(id, out var n) ? n.IsObjective : _objectives.ContainsKey(id);

        private ImmutableArray<Edge> PlanAlignment()
        {
            var edges = new List<(Edge Edge, RawRow Row)>();
            var pairs = new HashSet<(string, string)>();
            var keyResultParent = new Dictionary<string, RawRow>();
            foreach (var row in doc[PortTables.Alignment])
            {
                var c = new Cells(row, _refusals);
                var parentRef = c.Required("parent");
                var childRef = c.Required("child");
                var weight = c.Number("weight", required: false) ?? 1.0;
                if (!c.Valid("weight", () => Check.Weight("weight", weight))) continue;
                if (parentRef is null || childRef is null) continue;
                var parent = Resolve(parentRef);
                var child = Resolve(childRef);
                if (parent is null) c.Fail("parent", $"'{parentRef}' is not an objective of this file or of cycle '{_cycle}' (unknown parent).");
                else if (!IsObjective(parent)) c.Fail("parent", $"'{parentRef}' is a key result; only objectives can be parents.");
                if (child is null) c.Fail("child", $"'{childRef}' is not an objective or key result of this file or of cycle '{_cycle}'.");
                if (parent is null || child is null || !IsObjective(parent)) continue;
                if (!_nodes.ContainsKey(child)) { c.Fail("child", $"'{childRef}' is not listed in objectives.csv or key-results.csv: an import sets the parents of its own rows only."); continue; }
                if (parent == child) { c.Fail("parent", "an objective cannot align to itself."); continue; }
                if (!pairs.Add((parent, child))) { c.Fail("child", $"'{childRef}' is under '{parentRef}' twice."); continue; }
                if (!IsObjective(child) && !keyResultParent.TryAdd(child, row))
                {
                    var first = keyResultParent[child];
                    c.Fail("child", $"key result '{childRef}' has one objective only (it is already under another, {(first.Json ? first.Column("parent") : $"row {first.Row}")}).");
                    continue;
                }
                edges.Add((new Edge(parent, child, weight), row));
            }
            CheckLoops(edges);
            PlanMoves(edges.Select(e => e.Edge).ToList());
            return [.. edges.Select(e => e.Edge)];
        }

        /// <summary>The objectives' graph after the import (the cycle's edges of nodes not listed, and the file's) must have no loop.</summary>
        private void CheckLoops(List<(Edge Edge, RawRow Row)> fileEdges)
        {
            var parentsOf = new Dictionary<string, List<(string Parent, RawRow? Row)>>();
            void Add(string child, string parent, RawRow? row) =>
                (parentsOf.TryGetValue(child, out var l) ? l : parentsOf[child] = []).Add((parent, row));
            foreach (var e in _edges.Where(e => !_nodes.ContainsKey(e.ChildId) && _objectives.ContainsKey(e.ChildId))) Add(e.ChildId, e.ParentId, null);
            foreach (var (e, row) in fileEdges.Where(f => IsObjective(f.Edge.ChildId))) Add(e.ChildId, e.ParentId, row);
            // Depth-first up the parents; a parent still on the stack closes a loop.
            var state = new Dictionary<string, int>(); // 1: on the stack, 2: done
            var stack = new List<(string Node, RawRow? Via)>();
            var reported = new HashSet<RawRow>();
            foreach (var start in parentsOf.Keys.Order(StringComparer.Ordinal).ToList()) Visit(start, null);

            void Visit(string node, RawRow? via)
            {
                if (state.GetValueOrDefault(node) == 2) return;
                if (state.GetValueOrDefault(node) == 1)
                {
                    var from = stack.FindIndex(s => s.Node == node);
                    var loop = stack.Skip(from).ToList();
                    var rows = loop.Skip(1).Select(s => s.Via).Append(via).OfType<RawRow>().ToList();
                    var at = rows.OrderByDescending(r => r.Row).FirstOrDefault(); // the row that closes the loop
                    if (at is not null && reported.Add(at))
                    {
                        var titles = loop.Select(s => TitleOf(s.Node)).Append(TitleOf(node)).Reverse();
                        _refusals.Add(at.Refuse("parent", $"the alignments make a loop: {string.Join(" → ", titles)}."));
                    }
                    return;
                }
                state[node] = 1;
                stack.Add((node, via));
                foreach (var (parent, row) in parentsOf.GetValueOrDefault(node) ?? []) Visit(parent, row);
                stack.RemoveAt(stack.Count - 1);
                state[node] = 2;
            }
        }

        private void PlanMoves(List<Edge> fileEdges)
        {
            var wanted = fileEdges.GroupBy(e => e.ChildId).ToDictionary(g => g.Key, g => g.ToList());
            var now = _edges.GroupBy(e => e.ChildId).ToDictionary(g => g.Key, g => g.ToList());
            foreach (var node in _nodes.Values.Where(n => _objectives.ContainsKey(n.Id) || _keyResults.ContainsKey(n.Id)))
            {
                var before = now.GetValueOrDefault(node.Id) ?? [];
                var after = wanted.GetValueOrDefault(node.Id) ?? [];
                var kind = node.IsObjective ? "objective" : "keyResult";
                if (!before.Select(e => e.ParentId).ToHashSet().SetEquals(after.Select(e => e.ParentId)))
                    _moves.Add(new PortMove(kind, node.Local, node.Title, [.. before.Select(e => Describe(e, _objectives[e.ParentId].Title))],
                        [.. after.Select(e => Describe(e, TitleOf(e.ParentId)))]));
                else
                    foreach (var e in after)
                        if (before.First(b => b.ParentId == e.ParentId) is { } b && !b.Weight.Equals(e.Weight))
                            _updates.Add(new PortUpdate(kind, node.Local, node.Title, $"weight under \"{TitleOf(e.ParentId)}\"", N(b.Weight), N(e.Weight)));
            }
        }

        /// <summary>A parent as a move shows it: its title then (before) or after, and the weight.</summary>
        private static string Describe(Edge e, string title) => $"{title} ({N(e.Weight)})";

        // ---- Check-ins and measurements -----------------------------------------------------------------------

        private List<(string KeyResultId, CheckIn CheckIn)> PlanCheckIns(DateTimeOffset cycleStart)
        {
            var added = new List<(string, CheckIn)>();
            var inFile = new Dictionary<(string, string), CheckIn>();
            foreach (var row in doc[PortTables.CheckIns])
            {
                var c = new Cells(row, _refusals);
                var reference = c.Required("key_result");
                var value = c.Number("value", required: true);
                var confidence = c.Number("confidence", required: false);
                var at = c.Date("at", required: true);
                var note = c.Checked("note", () => Check.Text("note", c.Text("note"), Check.MaxNote));
                var author = c.Checked("author", () => Check.Text("author", c.Text("author"), Check.MaxName));
                var authorId = c.Checked("author_id", () => Check.Text("author_id", c.Text("author_id"), Check.MaxName));
                var via = c.Checked("via", () => Check.Text("via", c.Text("via"), Check.MaxName));
                if (reference is null || value is null || at is null || note is null || author is null || authorId is null || via is null) continue;
                if (!c.Valid("confidence", () => Check.Confidence("confidence", confidence))) continue;
                var id = Resolve(reference);
                if (id is null || IsObjective(id)) { c.Fail("key_result", $"'{reference}' is not a key result of this file or of cycle '{_cycle}'."); continue; }
                var definition = _nodes.TryGetValue(id, out var node) ? node.KeyResult : _keyResults.GetValueOrDefault(id);
                if (definition is null) continue; // its own row was refused
                var instant = Check.Instant(at.Value);
                var clientId = c.Text("client_id") is { } given
                    ? c.Checked("client_id", () => Check.ClientId("client_id", given))
                    : ContentId(id, instant, value.Value, note);
                if (clientId is null) continue;
                var checkIn = new CheckIn(clientId, value.Value, confidence, note, author, instant, null, authorId, via);
                if (!Same(c, inFile, (id, clientId), checkIn, (x, y) => x.Value.Equals(y.Value) && Nullable.Equals(x.Confidence, y.Confidence) && x.Note == y.Note && x.At == y.At)) continue;
                // One the key result holds already is left as it is (whatever rules a new one would meet today).
                if (Recorded(_checkIns, target.CheckIns, id, x => x.ClientId).GetValueOrDefault(clientId) is { } earlier)
                {
                    if (!(earlier.Value.Equals(checkIn.Value) && Nullable.Equals(earlier.Confidence, checkIn.Confidence) && earlier.Note == checkIn.Note && earlier.At == checkIn.At))
                        c.Fail("client_id", $"'{clientId}' is already recorded on this key result with other values (value {N(earlier.Value)} at {earlier.At:O}).");
                    continue;
                }
                if (definition.Kind == KeyResultKind.KpiLinked) { c.Fail("key_result", $"'{reference}' takes its values from KPI '{definition.KpiId}'; import measurements of the KPI instead."); continue; }
                if (definition.Kind == KeyResultKind.Milestone && value is not (0 or 1)) { c.Fail("value", "a milestone check-in is 0 (not done) or 1 (done)."); continue; }
                if (instant > target.Now + FutureSkew) { c.Fail("at", "must not be in the future."); continue; }
                if (instant < cycleStart) { c.Fail("at", $"must not be before the cycle starts ({cycleStart:yyyy-MM-dd})."); continue; }
                added.Add((id, checkIn));
            }
            return added;
        }

        private List<(string KpiId, Measurement Measurement)> PlanMeasurements()
        {
            var added = new List<(string, Measurement)>();
            var inFile = new Dictionary<(string, string), Measurement>();
            foreach (var row in doc[PortTables.Measurements])
            {
                var c = new Cells(row, _refusals);
                var kpi = c.Required("kpi");
                var value = c.Number("value", required: true);
                var at = c.Date("at", required: true);
                var note = c.Checked("note", () => Check.Text("note", c.Text("note"), Check.MaxNote));
                var author = c.Checked("author", () => Check.Text("author", c.Text("author"), Check.MaxName));
                var authorId = c.Checked("author_id", () => Check.Text("author_id", c.Text("author_id"), Check.MaxName));
                var via = c.Checked("via", () => Check.Text("via", c.Text("via"), Check.MaxName));
                if (kpi is null || value is null || at is null || note is null || author is null || authorId is null || via is null) continue;
                if (!_kpis.ContainsKey(kpi)) { c.Fail("kpi", $"'{kpi}' is not a KPI (of the company or of kpis.csv)."); continue; }
                var instant = Check.Instant(at.Value);
                var clientId = c.Text("client_id") is { } given
                    ? c.Checked("client_id", () => Check.ClientId("client_id", given))
                    : ContentId(kpi, instant, value.Value, note);
                if (clientId is null) continue;
                var measurement = new Measurement(clientId, value.Value, instant, note, author, authorId, via);
                if (!Same(c, inFile, (kpi, clientId), measurement, (x, y) => x.Value.Equals(y.Value) && x.Note == y.Note && x.At == y.At)) continue;
                if (Recorded(_measurements, target.Measurements, kpi, x => x.ClientId).GetValueOrDefault(clientId) is { } earlier)
                {
                    if (!(earlier.Value.Equals(value.Value) && earlier.Note == note && earlier.At == instant))
                        c.Fail("client_id", $"'{clientId}' is already recorded on this KPI with other values (value {N(earlier.Value)} at {earlier.At:O}).");
                    continue;
                }
                if (instant > target.Now + FutureSkew) { c.Fail("at", "must not be in the future."); continue; }
                added.Add((kpi, measurement));
            }
            return added;
        }

        private readonly Dictionary<string, Dictionary<string, CheckIn>> _checkIns = [];
        private readonly Dictionary<string, Dictionary<string, Measurement>> _measurements = [];

        /// <summary>A node's recorded entries by client id, indexed once.</summary>
        private static Dictionary<string, T> Recorded<T>(Dictionary<string, Dictionary<string, T>> cache, IReadOnlyDictionary<string, ImmutableArray<T>> all, string id, Func<T, string> key)
        {
            if (cache.TryGetValue(id, out var known)) return known;
            var list = all.GetValueOrDefault(id);
            var index = new Dictionary<string, T>();
            if (!list.IsDefault) foreach (var x in list) index.TryAdd(key(x), x);
            return cache[id] = index;
        }

        /// <summary>False for a row whose client id an earlier row of the file used (refused when the two differ, skipped when equal).</summary>
        private static bool Same<T>(Cells c, Dictionary<(string, string), T> seen, (string, string) key, T value, Func<T, T, bool> equal)
        {
            if (!seen.TryGetValue(key, out var first)) { seen[key] = value; return true; }
            if (!equal(first, value)) c.Fail("client_id", $"'{key.Item2}' is used twice in the file for different values.");
            return false;
        }

        /// <summary>A client id for a row without one, made from what it says: the same row imported twice is added once.</summary>
        private static string ContentId(string of, DateTimeOffset at, double value, string note)
        {
            var text = $"{of}\n{at:O}\n{N(value)}\n{note}";
            return "import-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];
        }
    }

    private static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A row's cells read as typed values; what does not read is refused with the row and column.</summary>
    private sealed class Cells(RawRow row, List<Refusal> refusals)
    {
        private readonly HashSet<string> _failed = [];

        public void Fail(string column, string reason)
        {
            if (_failed.Add(column)) refusals.Add(row.Refuse(column, reason));
        }

        public string? Text(string column) => row.Cells.GetValueOrDefault(column);

        public string? Required(string column)
        {
            var value = Text(column);
            if (string.IsNullOrWhiteSpace(value))
            {
                Fail(column, row.Cells.ContainsKey(column) || !row.Json ? "is required." : "is missing (the column is required).");
                return null;
            }
            return value;
        }

        public double? Number(string column, bool required)
        {
            var text = required ? Required(column) : Text(column);
            if (text is null) return null;
            if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                Fail(column, $"'{text}' is not a number (write it as 1234.5: a dot for decimals, no thousands separator).");
                return null;
            }
            return Valid(column, () => Check.Number(column, value)) ? value : null;
        }

        public DateTimeOffset? Date(string column, bool required)
        {
            var text = required ? Required(column) : Text(column);
            if (text is null) return null;
            if (!DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
            {
                Fail(column, $"'{text}' is not a date and time in ISO 8601 form (e.g. 2026-11-02T09:00:00+01:00).");
                return null;
            }
            return value;
        }

        public T? Enum<T>(string column, bool required) where T : struct, System.Enum
        {
            var text = required ? Required(column) : Text(column);
            if (text is null) return null;
            var names = System.Enum.GetNames<T>();
            var name = names.FirstOrDefault(n => n.Equals(text.Trim().Replace("_", "").Replace("-", "").Replace(" ", ""), StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                Fail(column, $"'{text}' is not one of {string.Join(", ", names.Select(n => PortCodec.Text(System.Enum.Parse<T>(n))))}.");
                return null;
            }
            return System.Enum.Parse<T>(name);
        }

        /// <summary>Runs a check; its refusal is this row's, at <paramref name="column"/> (null: the field the check names).</summary>
        public bool Valid(string? column, Action check)
        {
            try { check(); return true; }
            catch (OkrRejectedException e)
            {
                Fail(column ?? e.Field, e.Reason);
                return false;
            }
        }

        /// <summary>Runs a check that returns the value to keep (null when refused).</summary>
        public T? Checked<T>(string? column, Func<T> check) where T : class
        {
            try { return check(); }
            catch (OkrRejectedException e)
            {
                Fail(column ?? e.Field, e.Reason);
                return default;
            }
        }
    }
}
