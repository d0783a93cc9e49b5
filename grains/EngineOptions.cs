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
}

/// <summary>The engine's notion of "now" for expected progress and check-in dates; tests pin it.</summary>
public interface IEngineClock
{
    DateTimeOffset UtcNow { get; }
}

public sealed class SystemEngineClock : IEngineClock
{
    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;
}

/// <summary>Per-node version numbers that grow across activations: never below the wall clock's ticks.</summary>
internal static class Versions
{
    public static long Next(long previous) => Math.Max(previous + 1, DateTime.UtcNow.Ticks);
}
