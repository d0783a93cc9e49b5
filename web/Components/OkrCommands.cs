namespace OkrGrid.Web.Components;

/// <summary>
/// The commands the dashboards send to the engine. A seam so that the forms can be rendered and tested without a
/// cluster; in the app it goes straight to the grains.
/// </summary>
public interface IOkrCommands
{
    /// <summary>Durable when it returns; a retry with the same client id is applied once.</summary>
    Task<CheckInResult> CheckInAsync(string keyResultId, CheckIn checkIn);

    /// <summary>Adds objectives, key results and edges to a cycle all-or-nothing.</summary>
    Task ImportAsync(string cycleId, ImmutableArray<ObjectiveDefinition> objectives,
        ImmutableArray<KeyResultDefinition> keyResults, ImmutableArray<Edge> edges);
}

public sealed class GrainCommands(IGrainFactory grains) : IOkrCommands
{
    public Task<CheckInResult> CheckInAsync(string keyResultId, CheckIn checkIn) =>
        grains.GetGrain<IKeyResultGrain>(keyResultId).CheckInAsync(checkIn);

    public Task ImportAsync(string cycleId, ImmutableArray<ObjectiveDefinition> objectives,
        ImmutableArray<KeyResultDefinition> keyResults, ImmutableArray<Edge> edges) =>
        grains.GetGrain<ICycleGrain>(cycleId).ImportAsync(objectives, keyResults, edges);
}
