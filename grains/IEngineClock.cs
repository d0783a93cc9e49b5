namespace OkrGrid.Engine;

// Transitional: IEngineClock was replaced by the keyed TimeProvider of EngineClock. It stays only because code owned
// by parallel branches still injects or implements it (web/Components, web/Seeding, tests/OkrGrid.Bench); once those
// read [FromKeyedServices(EngineClock.Key)] TimeProvider, delete this file.

/// <summary>The engine's "now", read through the engine's <see cref="TimeProvider"/> (see <see cref="EngineClock"/>).</summary>
public interface IEngineClock
{
    DateTimeOffset UtcNow { get; }
}

/// <summary>An <see cref="IEngineClock"/> over the engine's TimeProvider, for code that still injects the interface.</summary>
public sealed class TimeProviderEngineClock(TimeProvider time) : IEngineClock
{
    public DateTimeOffset UtcNow => time.GetUtcNow();
}

/// <summary>The engine's TimeProvider over an <see cref="IEngineClock"/> a caller still registers (the bench's pinned clocks).</summary>
public sealed class EngineClockTimeProvider(IEngineClock clock) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => clock.UtcNow;
}
