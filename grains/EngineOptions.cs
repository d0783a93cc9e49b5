namespace OkrGrid.Grains;

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

/// <summary>
/// Version numbers that grow across activations and restarts: never below the clock, in microseconds since 1970 —
/// which stays below 2^53 (until the year 2255), so a JavaScript client reads every version exactly (.NET ticks,
/// ~6.4e17, did not fit: the official SignalR client read v and v + 1 as the same number).
/// </summary>
public static class Versions
{
    /// <summary>The largest version a JavaScript number holds exactly.</summary>
    public const long MaxSafe = (1L << 53) - 1;

    public static long Of(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static long Next(long previous) => Math.Max(previous + 1, Of(DateTimeOffset.UtcNow));

    /// <summary>The next version, never below the given time's (an engine clock a test holds still).</summary>
    public static long Next(long previous, DateTimeOffset at) => Math.Max(previous + 1, Of(at));
}
