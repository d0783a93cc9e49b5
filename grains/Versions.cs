namespace OkrGrid.Engine;

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

    /// <summary>
    /// The version clock now: the system clock, never the engine's (which tests hold still or move), so versions from
    /// different grains — and a snapshot's <see cref="CycleSnapshot.FactsVersion"/> — compare as instants.
    /// </summary>
    public static long Now() => Of(DateTimeOffset.UtcNow);

    public static long Next(long previous) => Math.Max(previous + 1, Now());

    /// <summary>The next version, never below the given time's (an engine clock a test holds still).</summary>
    public static long Next(long previous, DateTimeOffset at) => Math.Max(previous + 1, Of(at));
}
