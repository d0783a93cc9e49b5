using System.Diagnostics;

namespace OkrGrid.Engine;

/// <summary>
/// Decides when a node forwards its changes upward: at once when it has been quiet for a tick, otherwise once at
/// the end of the current tick, however many changes arrived in between. This is what keeps a hot parent — the
/// company objective under thousands of check-ins a second — from becoming the bottleneck.
/// </summary>
internal sealed class UpdateCoalescer(IGrainBase grain, TimeSpan tick, Action flush) : IDisposable
{
    /// <summary>
    /// Ticks of quiet after which the timer is given back: a grain timer with what Orleans keeps for it is ~500 bytes,
    /// and after a burst (an import, a wave of check-ins) every objective it reached kept one for the rest of its life.
    /// </summary>
    private const int QuietTicks = 50;

    private IGrainTimer? _timer;
    private long _lastFlush;
    private bool _armed;

    /// <summary>Call within a grain turn after the node's inputs changed.</summary>
    public void Touch()
    {
        if (_armed) return;
        var since = _lastFlush == 0 ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(_lastFlush);
        if (since >= tick)
        {
            Run();
            return;
        }
        _timer ??= grain.RegisterGrainTimer(OnTimer, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        _timer.Change(tick - since, Timeout.InfiniteTimeSpan);
        _armed = true;
    }

    private Task OnTimer()
    {
        if (!_armed)
        {
            // The check after a flush found nothing more to do for QuietTicks: the next burst makes a new timer.
            _timer?.Dispose();
            _timer = null;
            return Task.CompletedTask;
        }
        _armed = false;
        Run();
        // Once more after a quiet spell, to give the timer back; a touch before then re-arms it for its tick instead.
        _timer?.Change(tick * QuietTicks, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    private void Run()
    {
        _lastFlush = Stopwatch.GetTimestamp();
        flush();
    }

    /// <summary>A change is waiting for the end of the tick.</summary>
    public bool Pending => _armed;

    public void Dispose() => _timer?.Dispose();
}
