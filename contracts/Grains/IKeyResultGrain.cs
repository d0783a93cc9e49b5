using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>A key result. Key: "{cycleId}:{local}".</summary>
[Alias("okr.grains.key-result-grain")]
public interface IKeyResultGrain : IGrainWithStringKey, IScoredNode
{
    /// <summary>
    /// Applies a check-in once it is durable; a retry with the same client id is applied once. The actor (null: the
    /// engine itself) must be allowed to check in on this key result and becomes its author.
    /// </summary>
    [Alias("CheckIn")] Task<CheckInResult> CheckInAsync(CheckIn checkIn, OkrGrid.Access.Actor? actor = null);
    [Alias("GetView")] Task<KeyResultView> GetViewAsync();
    [Alias("GetHistory")] Task<ImmutableArray<CheckIn>> GetHistoryAsync();
    [Alias("ApplySetup")] Task ApplySetupAsync(KeyResultSetup? setup);

    /// <summary>The linked KPI's new state. One-way: a KPI never waits for its key results.</summary>
    [Alias("OnKpiChanged"), OneWay] Task OnKpiChangedAsync(KpiState state);
}
