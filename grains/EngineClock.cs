using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OkrGrid.Engine;

/// <summary>
/// The engine's notion of "now" (expected progress, check-in dates, versions) is a <see cref="TimeProvider"/>
/// registered under <see cref="Key"/>. It is keyed, not the host's plain TimeProvider, because tests pin or move it
/// (months at a time) while the silo's timers, leases and Orleans itself must keep running on real time.
/// Read it with <c>[FromKeyedServices(EngineClock.Key)] TimeProvider clock</c>.
/// </summary>
public static class EngineClock
{
    public const string Key = "okrgrid-engine";

    /// <summary>Registers the engine clock: the system's time unless a caller registered one under <see cref="Key"/> first.</summary>
    public static IServiceCollection AddEngineClock(this IServiceCollection services)
    {
        // The system's time, as before — not the host's TimeProvider, which some tests replace for other reasons.
        services.TryAddKeyedSingleton(Key, TimeProvider.System);
        return services;
    }
}
