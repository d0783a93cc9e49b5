using Microsoft.AspNetCore.Components;
using OkrGrid.Views;
using OkrGrid.Web.Views;

namespace OkrGrid.Web.Components.Shared;

/// <summary>
/// What the objective and key-result pages share: the node's live board, and its history (progress over time and the
/// check-in log), re-read after a change below the node — at most every few seconds, since under an objective
/// that means reading every key result's check-ins. Scores themselves follow the board at once.
/// A page that <see cref="TimeTravels"/> also shows its node as of a past instant (<c>?at=</c>): the cycle read as it was
/// then, frozen — the history still covers the whole cycle, and the page marks the instant on it.
/// </summary>
public abstract class NodePage : LiveComponent
{
    private static readonly TimeSpan HistoryInterval = TimeSpan.FromSeconds(3);
    private DateTime _historyReadAt = DateTime.MinValue;
    private bool _historyScheduled;
    private string? _historyOf;
    private readonly CancellationTokenSource _cts = new();

    [Inject] private HistoryReader Histories { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;

    [Parameter] public string Id { get; set; } = "";

    /// <summary>The node as of this instant (ISO 8601) instead of live, on a page that <see cref="TimeTravels"/>.</summary>
    [SupplyParameterFromQuery(Name = AsOf.Parameter)] public string? At { get; set; }

    /// <summary>Whether the page offers "as of" (the objective page does; the key-result page, with its check-in form, not yet).</summary>
    protected virtual bool TimeTravels => false;

    /// <summary>The cycle as the page shows it, live or as of an instant; null on a page that does not time travel.</summary>
    protected CycleView? View { get; private set; }

    /// <summary>
    /// Why the node cannot be shown as of the instant asked for: the instant cannot be shown, or the node was not in the
    /// cycle then. The page then shows the "as of" control with it, and nothing of the node.
    /// </summary>
    protected string? AsOfProblem { get; private set; }

    /// <summary>The past instant shown; null while live.</summary>
    protected DateTimeOffset? Past => AsOfProblem is null && View is { IsLive: false } view ? view.At : null;

    /// <summary>The instant the page's figures are of (expected pace, cycle week): the past one, or now.</summary>
    protected DateTimeOffset ShownAt => Past ?? Clock.GetUtcNow();

    protected OrganisationView? Org { get; private set; }
    protected CycleBoard? Board { get; private set; }
    protected NodeHistory? History { get; private set; }
    protected bool NotFound { get; private set; }
    protected string? Problem { get; private set; }

    protected override async Task OnParametersSetAsync()
    {
        // The same node at another instant keeps its history: it covers the whole cycle whatever the instant.
        if (_historyOf != Id) (History, _historyOf) = (null, Id);
        var wasFrozen = Frozen;
        await LoadAsync();
        if (History is null) await ReadHistoryAsync();
        else if (wasFrozen && !Frozen) ScheduleHistory(); // back to live: catch up with what landed meanwhile
    }

    /// <summary>An instant picked on the "as of" control goes into the address, so that a link reproduces the view.</summary>
    protected void SetAsOf(DateTimeOffset? at) => Navigation.NavigateTo(AsOf.Uri(Navigation, at));

    protected override async Task OnLiveChangeAsync(LiveChange change)
    {
        if (change.Structure || change.Organisation) await LoadAsync();
        else Compose();
        ScheduleHistory();
    }

    /// <summary>Ids the page shows besides the node (children, parents).</summary>
    protected abstract IEnumerable<string> Shown(CycleBoard board);

    /// <summary>Rebuilds what the page shows from the board.</summary>
    protected virtual void Compose() { }

    private async Task LoadAsync()
    {
        try
        {
            Org = await Live.GetOrganisationAsync();
            if (NodeIds.CycleOf(Id) is not { } cycleId || Org.Cycles.All(c => c.Id != cycleId))
            {
                NotFound = true;
                return;
            }
            var live = await Live.GetCycleAsync(cycleId);
            NotFound = !live.Contains(Id);
            if (NotFound) return;
            View = TimeTravels ? await Live.ViewCycleAsync(cycleId, At) : null;
            AsOfProblem = View?.Problem
                ?? (View is { Board: { } then, At: { } at } && !then.Contains(Id) ? $"this was not part of the cycle yet at {AsOf.Label(at)}." : null);
            Board = AsOfProblem is null ? View?.Board ?? live : live;
            // A past instant stays as it was: nothing live is followed (or overwrites it) while it is shown.
            Frozen = View is { IsLive: false };
            WatchedCycle = Frozen ? null : cycleId;
            if (!Frozen) Watch(Shown(Board).Append(Id));
            Compose();
        }
        catch (Exception e) when (Board is null)
        {
            Problem = UiText.EngineDidNotAnswer(e);
        }
    }

    /// <summary>Asks for the history to be read again soon (after a check-in made here, or a change below).</summary>
    protected void ScheduleHistory()
    {
        if (_historyScheduled || NotFound) return;
        _historyScheduled = true;
        var wait = HistoryInterval - (DateTime.UtcNow - _historyReadAt);
        _ = Task.Run(async () =>
        {
            try
            {
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _cts.Token);
                await InvokeAsync(async () =>
                {
                    _historyScheduled = false;
                    await ReadHistoryAsync();
                    StateHasChanged();
                });
            }
            catch (Exception) { _historyScheduled = false; } // disposed, or the engine is away: the next change retries
        });
    }

    private async Task ReadHistoryAsync()
    {
        if (NotFound || Board is null) return;
        try
        {
            _historyReadAt = DateTime.UtcNow;
            History = await Histories.GetAsync(Id, _cts.Token);
        }
        catch (OkrRejectedException) { NotFound = true; }
        catch (Exception) when (!_cts.IsCancellationRequested) { /* keep the last history; the next change retries */ }
    }

    /// <summary>Chart points from the history: the check-in moments are marked.</summary>
    protected IReadOnlyList<ProgressChart.Sample> ChartPoints()
    {
        if (History is null) return [];
        var checkInTimes = History.CheckIns.Select(c => c.At).ToHashSet();
        return History.Points
            .Select(p => new ProgressChart.Sample(p.At, p.Progress, p.Status, checkInTimes.Contains(p.At),
                p.Value is { } v ? $"value {Fmt.Num(v)}" : null))
            .ToList();
    }

    protected override void Dispose(bool disposing)
    {
        _cts.Cancel();
        _cts.Dispose();
        base.Dispose(disposing);
    }
}
