using OkrGrid.Domain.Planning;
using OkrGrid.Planning;
using OkrGrid.Web.Components.Shared;

namespace OkrGrid.Web.Components.Planner;

/// <summary>What a move the engine refused names: the request field (e.g. "objectiveId") and why, as a sentence.</summary>
public sealed record MoveRefusal(string Field, string Reason);

/// <summary>
/// One scenario as its page shows it: the scenario, the cycle's live board and the planner's view of its structure,
/// the simulation shown (with its tree and the sensitivity of one company objective), whether the live structure still
/// takes the moves the same way — and the commands that change it. Made by <see cref="PlannerService.Open"/> for one
/// page; not thread-safe (a page's events run one at a time). The page's parts (head, forms, notices) share it and
/// each runs its commands: every command tells the page, which renders them all — Blazor would otherwise render only
/// the part whose button was pressed.
/// </summary>
public sealed class ScenarioWorkspace
{
    private readonly IScenarioGrain _scenario;
    private readonly CurrentUser _me;
    private readonly LiveBoard _live;
    private readonly Action<string?, IEnumerable<string>> _watch;
    private readonly Action _changed;
    private ScenarioImpact? _impact;

    internal ScenarioWorkspace(IScenarioGrain scenario, string id, CurrentUser me, LiveBoard live, Action<string?, IEnumerable<string>> watch, Action changed)
    {
        _scenario = scenario;
        Id = id;
        _me = me;
        _live = live;
        _watch = watch;
        _changed = changed;
    }

    public string Id { get; }
    public ScenarioView? View { get; private set; }
    public CycleBoard? Board { get; private set; }
    public PlanContext? Context { get; private set; }

    /// <summary>The simulation shown: the live one while open; after applying, the one that was applied.</summary>
    public SimulationResult? Shown { get; private set; }

    /// <summary>The alignment before and after the moves (while open).</summary>
    public (AlignmentSummary Before, AlignmentSummary After)? Alignment => _impact is { } i ? (i.AlignmentBefore, i.AlignmentAfter) : null;

    public ImmutableArray<PlanTreeNode> Tree { get; private set; } = [];
    public Sensitivity? Sensitivity { get; private set; }
    public string? SensitivityObjective { get; private set; }

    public bool NotFound { get; private set; }
    /// <summary>Why the scenario could not be shown at all.</summary>
    public string? Problem { get; private set; }
    /// <summary>Why the last command failed, as a sentence.</summary>
    public string? Error { get; set; }
    public bool Busy { get; private set; }
    /// <summary>While the apply dialog is open: its own changes are not someone else's.</summary>
    public bool Applying { get; set; }

    public bool Loaded => View is not null && Board is not null && Context is not null;
    public bool IsOpen => View?.State == ScenarioState.Open;

    /// <summary>The moves the simulation shown left out (only while open: an applied scenario's are gone).</summary>
    public ImmutableArray<RejectedMove> Rejected => IsOpen && Shown is { } s ? s.Rejected : [];

    /// <summary>What Apply would do now.</summary>
    public ApplyPlan Plan => ApplyPlan.Of(View?.Moves ?? [], Rejected);

    /// <summary>
    /// How the live structure takes the moves differently from the simulation shown (empty: the same way). Worked out
    /// again whenever the structure, the moves or the simulation change.
    /// </summary>
    public ImmutableArray<string> StructureChanges { get; private set; } = [];

    /// <summary>
    /// The live graph moved on since the simulation (check-ins, or structure that does not change how the moves land):
    /// the numbers are as of the simulation, and a re-simulation catches up. Not a warning: it is so most of the time.
    /// </summary>
    public bool NumbersMoved => IsOpen && StructureChanges.IsEmpty && _impact is { LiveChanged: true };

    // ---------- loading ----------

    public async Task LoadAsync()
    {
        try
        {
            View = await _scenario.GetAsync();
            await LoadBoardAsync();
            if (View.State == ScenarioState.Open) await SimulateAsync();
            else if (View.Applied is { } applied)
            {
                // Reopened after the apply: what was simulated, beside the live values now.
                Shown = applied;
                WatchShown();
            }
        }
        catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound && View is null)
        {
            NotFound = true;
        }
        catch (Exception e) when (View is null || Board is null)
        {
            Problem = UiText.EngineDidNotAnswer(e);
        }
    }

    private async Task LoadBoardAsync()
    {
        var org = await _live.GetOrganisationAsync();
        Board = await _live.GetCycleAsync(View!.CycleId);
        // The board is re-read now and then (and the organisation with it) even when nothing changed: keep the context,
        // and with it the pickers' options, unless the structure or the names did change — a new one under an open
        // picker would disturb what the planner is choosing.
        if (Context is null || !CycleStructure.Same(Context.Snapshot, Board.Snapshot) || !SameNames(Context.Organisation, org))
        {
            Context = new PlanContext(Board.Snapshot, org);
            CheckStructure();
        }
        WatchShown();
    }

    private static bool SameNames(OrganisationView a, OrganisationView b) =>
        ReferenceEquals(a, b) || (a.CompanyName == b.CompanyName && a.Teams.SequenceEqual(b.Teams) && a.People.SequenceEqual(b.People));

    /// <summary>
    /// The scenario itself (another planner may edit it), and: while open, until the numbers are known to have moved,
    /// the cycle's nodes (a check-in may move them); once applied, the touched objectives' live values. The cycle's
    /// structure is followed throughout: a change may make the moves land differently, or land the same again.
    /// </summary>
    private void WatchShown()
    {
        if (Board is null || View is null) return;
        var ids = View.State != ScenarioState.Open
            ? (Shown?.Impacts.Select(i => i.NodeId) ?? []).Concat(Landed().Select(l => l.Id))
            : NumbersMoved ? [] : Board.Objectives.Select(o => o.Id).Concat(Board.KeyResults.Select(k => k.Id));
        _watch(Board.CycleId, ids.Append(Id));
    }

    private async Task SimulateAsync(bool resimulate = false)
    {
        Show(await _scenario.GetImpactAsync(resimulate));
        await LoadSensitivityAsync();
    }

    private void Show(ScenarioImpact impact)
    {
        _impact = impact;
        View = impact.Scenario;
        Shown = impact.Simulation;
        BuildTree();
        var company = impact.AlignmentAfter.CompanyObjectives;
        if (SensitivityObjective is null || company.All(c => c.ObjectiveId != SensitivityObjective))
        {
            // The company objective the moves change most, else the first.
            SensitivityObjective = impact.Simulation.Impacts.Where(i => company.Any(c => c.ObjectiveId == i.NodeId)).Select(i => i.NodeId).FirstOrDefault()
                ?? company.FirstOrDefault()?.ObjectiveId;
        }
        CheckStructure();
        WatchShown();
    }

    private void BuildTree()
    {
        if (Context is null || View is null || Shown is null) return;
        var rejected = Shown.Rejected;
        var after = Context.After(View.Moves, rejected);
        var subjects = View.Moves.Where((m, i) => rejected.All(r => r.Index != i)).Select(m => m.SubjectId);
        Tree = PlanTree.Build(Context, Context.Graph, after, Shown.Impacts, subjects);
    }

    /// <summary>Simulates the moves again on the live structure (the planner's copy of it) and compares how they land.</summary>
    private void CheckStructure()
    {
        if (!IsOpen || Context is null || _impact is not { } impact || View is null || impact.Scenario.Moves != View.Moves)
        {
            StructureChanges = [];
            return;
        }
        var live = Simulator.Run(Context.Graph, Context.Snapshot, View.Moves).Result;
        StructureChanges = StructureDrift.Between(impact.Simulation, live, View.Moves.Length, Context.TitleOf, Context.Humanize);
    }

    private async Task LoadSensitivityAsync()
    {
        Sensitivity = null;
        if (SensitivityObjective is null) return;
        try { Sensitivity = await _scenario.GetSensitivityAsync(SensitivityObjective); }
        catch (OkrRejectedException) { } // the objective left the cycle meanwhile: the list just stays empty
    }

    public async Task SetSensitivityObjectiveAsync(string id)
    {
        SensitivityObjective = id;
        await LoadSensitivityAsync();
        _changed();
    }

    public Task ResimulateAsync() => RunAsync(async () =>
    {
        await LoadBoardAsync();
        await SimulateAsync(resimulate: true);
    });

    /// <summary>
    /// The objectives to look at once applied: those the simulation showed (largest change first), else the ones the
    /// moves put their subjects under and everything above them.
    /// </summary>
    public List<(string Id, string Title)> Landed()
    {
        if (View is null || Context is null) return [];
        if (Shown is { Impacts.Length: > 0 } shown)
            return [.. shown.Impacts.Where(i => Math.Abs(i.Delta) >= PlanFmt.Epsilon).Take(6).Select(i => (i.NodeId, i.Title))];
        var ids = new List<string>();
        foreach (var move in View.Moves)
        {
            switch (move)
            {
                case MoveKeyResult m: ids.Add(m.ObjectiveId); break;
                case RealignObjective r when !r.Parents.IsDefault: ids.AddRange(r.Parents.Select(p => p.ParentId)); break;
                case ChangeWeight c: ids.Add(c.ParentId); break;
            }
        }
        var graph = Context.Graph;
        return [.. graph.ObjectivesAbove(ids).Where(id => graph.Objective(id) is not null)
            .OrderBy(id => graph.Objective(id)!.Owner.Kind).ThenBy(Context.TitleOf, StringComparer.CurrentCulture)
            .Take(6).Select(id => (id, Context.TitleOf(id)))];
    }

    // ---------- following live changes ----------

    public async Task OnLiveChangeAsync(LiveChange change)
    {
        if (View is null) return;
        if (change.Structure || change.Organisation) await LoadBoardAsync();
        if (change.Nodes.Contains(Id) && !Busy && !Applying && await ChangedElsewhereAsync()) return;
        if (IsOpen && _impact is not { LiveChanged: true } && !Applying)
        {
            try
            {
                var impact = await _scenario.GetImpactAsync();
                // Applied or discarded meanwhile (the apply's own structure change lands here): keep what was applied.
                if (IsOpen && !Applying)
                {
                    // Another page re-simulated this scenario: show that simulation; else only whether the numbers moved.
                    if (impact.Simulation != _impact?.Simulation) Show(impact);
                    else _impact = impact;
                }
            }
            catch (Exception) { /* keep what is shown; the next change tries again */ }
        }
        WatchShown();
    }

    /// <summary>
    /// Another planner renamed, edited, applied or discarded this scenario (this page's own changes are already shown:
    /// same revision). Shows what it is now; returns true when it re-read it all.
    /// </summary>
    private async Task<bool> ChangedElsewhereAsync()
    {
        var view = await _scenario.GetAsync();
        if (View is null || view.Revision <= View.Revision) return false;
        var wasOpen = IsOpen;
        View = view;
        if (view.State == ScenarioState.Open) await SimulateAsync();
        else if (wasOpen)
        {
            _impact = null;
            Sensitivity = null;
            Shown = view.Applied;
            Tree = [];
            StructureChanges = [];
            WatchShown();
        }
        return true;
    }

    // ---------- commands ----------

    /// <summary>
    /// Adds a move (one the simulation leaves out is kept and shown with its reason), then simulates again. Returns
    /// the engine's refusal of the move's shape, to show next to the control it names; other failures go to
    /// <see cref="Error"/>.
    /// </summary>
    public async Task<MoveRefusal?> AddMoveAsync(PlanMove move)
    {
        if (Busy) return null;
        Busy = true;
        Error = null;
        _changed();
        try
        {
            View = await _scenario.AddMoveAsync(move, await _me.RequireActorAsync());
            await SimulateAsync();
            return null;
        }
        catch (OkrRejectedException e)
        {
            return new MoveRefusal(e.Field, UiText.Sentence(e.Reason));
        }
        catch (Exception e)
        {
            Error = UiText.EngineDidNotAnswer(e, "try again.");
            return null;
        }
        finally
        {
            Busy = false;
            _changed();
        }
    }

    public Task RemoveMoveAsync(int index) => RunAsync(async () =>
    {
        View = await _scenario.RemoveMoveAsync(index, await _me.RequireActorAsync());
        await SimulateAsync();
    });

    /// <summary>Renames the scenario; returns why not, as a sentence, or null.</summary>
    public async Task<string?> RenameAsync(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "Give the scenario a name.";
        if (Busy || View is null) return null;
        Busy = true;
        try
        {
            View = await _scenario.RenameAsync(name, await _me.RequireActorAsync());
            return null;
        }
        catch (OkrRejectedException e) { return UiText.Sentence(e.Reason); }
        catch (Exception e) { return UiText.EngineDidNotAnswer(e, "try again."); }
        finally
        {
            Busy = false;
            _changed();
        }
    }

    public Task DiscardAsync() => RunAsync(async () =>
    {
        View = await _scenario.DiscardAsync(await _me.RequireActorAsync());
        Closed(null);
    });

    /// <summary>
    /// Applies the moves the simulation kept. The cycle takes a scenario's moves all or none, so the ones left out are
    /// removed from the scenario first (last first, so the indexes hold) — and put back, at its end, if the cycle then
    /// refuses the rest (or does not answer), so that a failed apply loses nothing. Throws the engine's refusal
    /// (nothing applied). A grain call that applied only the kept moves would do this in one step; the scenario grain
    /// has none.
    /// </summary>
    /// <exception cref="OkrRejectedException">The scenario changed meanwhile, or the cycle refused the moves.</exception>
    public async Task ApplyAsync()
    {
        var view = View ?? throw new InvalidOperationException("The scenario is not loaded.");
        var plan = Plan;
        var actor = await _me.RequireActorAsync();
        if (plan.Applied.IsEmpty) throw OkrRejectedException.Invalid("moves", "there is nothing to apply: every move is left out.");
        if (!plan.LeftOut.IsEmpty)
        {
            // The left-out indexes are the simulation's: only remove by them while the moves are still those simulated.
            var current = await _scenario.GetAsync();
            if (current.Revision != view.Revision || Shown is null || _impact?.Scenario.Moves != view.Moves)
                throw OkrRejectedException.Conflict("moves", "the scenario changed meanwhile; look at its moves again, then apply.");
            foreach (var left in plan.LeftOut.OrderByDescending(r => r.Index))
                View = await _scenario.RemoveMoveAsync(left.Index, actor);
        }
        try
        {
            View = await _scenario.ApplyAsync(actor);
        }
        catch (Exception) when (!plan.LeftOut.IsEmpty)
        {
            // Refused, or the engine did not answer: nothing was applied, so the moves taken out go back (best effort:
            // if the engine is away for this too, the refusal shown is still the apply's).
            try
            {
                foreach (var left in plan.LeftOut) View = await _scenario.AddMoveAsync(left.Move, actor);
            }
            catch (Exception) { }
            throw;
        }
    }

    /// <summary>
    /// After the apply dialog was cancelled: an apply the cycle refused put the left-out moves back, so the moves are
    /// no longer the ones simulated — simulate them again.
    /// </summary>
    public async Task CatchUpAsync()
    {
        if (IsOpen && _impact?.Scenario.Moves != View?.Moves) await RunAsync(() => SimulateAsync());
    }

    /// <summary>After the apply dialog closed on success: show the simulation that was applied, beside the live values.</summary>
    public void Applied() => Closed(View?.Applied ?? Shown);

    private void Closed(SimulationResult? shown)
    {
        _impact = null;
        Sensitivity = null;
        Shown = shown;
        Tree = shown is null ? [] : Tree;
        StructureChanges = [];
        WatchShown();
    }

    private async Task RunAsync(Func<Task> action)
    {
        if (Busy) return;
        Busy = true;
        Error = null;
        _changed();
        try { await action(); }
        catch (OkrRejectedException e) { Error = $"{e.Field}: {UiText.Sentence(e.Reason)}"; }
        catch (Exception e) { Error = UiText.EngineDidNotAnswer(e, "try again."); }
        finally
        {
            Busy = false;
            _changed();
        }
    }
}
