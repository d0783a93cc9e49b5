using Microsoft.AspNetCore.Components;
using OkrGrid.Views;
using OkrGrid.Web.Live;
using OkrGrid.Web.Views;

namespace OkrGrid.Web.Components.Shared;

/// <summary>
/// What the objective and key-result pages share: the node's live board, and its history (progress over time and the
/// check-in log), re-read after a change below the node — at most every few seconds, since under an objective
/// that means reading every key result's check-ins. Scores themselves follow the board at once.
/// </summary>
public abstract class NodePage : LiveComponent
{
    private static readonly TimeSpan HistoryInterval = TimeSpan.FromSeconds(3);
    private DateTime _historyReadAt = DateTime.MinValue;
    private bool _historyScheduled;
    private CancellationTokenSource _cts = new();

    [Inject] private HistoryReader Histories { get; set; } = null!;

    [Parameter] public string Id { get; set; } = "";

    protected OrganisationView? Org { get; private set; }
    protected CycleBoard? Board { get; private set; }
    protected NodeHistory? History { get; private set; }
    protected bool NotFound { get; private set; }
    protected string? Problem { get; private set; }

    protected override async Task OnParametersSetAsync()
    {
        History = null;
        await LoadAsync();
        await ReadHistoryAsync();
    }

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
            Board = await Live.GetCycleAsync(cycleId);
            WatchedCycle = cycleId;
            NotFound = !Board.Contains(Id);
            if (NotFound) return;
            Watch(Shown(Board).Append(Id));
            Compose();
        }
        catch (Exception e) when (Board is null)
        {
            Problem = $"The engine did not answer ({e.GetType().Name}).";
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
    }
}
