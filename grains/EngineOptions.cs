namespace OkrGrid.Engine;

/// <summary>Tuning of the roll-up engine.</summary>
public sealed class EngineOptions
{
    /// <summary>
    /// Under a burst of child updates a node recomputes and forwards at most once per tick; a node that has been
    /// quiet for a tick forwards at once.
    /// </summary>
    public TimeSpan CoalesceTick { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often a node re-evaluates its status as the cycle's expected pace moves on.</summary>
    public TimeSpan StatusRefresh { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the change feed flushes its queue to the observers.</summary>
    public TimeSpan FeedFlushInterval { get; set; } = TimeSpan.FromMilliseconds(15);

    /// <summary>
    /// A cycle writes a snapshot of its structure once this many changes (or a quarter of its node count, if more)
    /// followed the last one; an activation replays at most that many log rows.
    /// </summary>
    public int SnapshotEvery { get; set; } = 1000;
}
