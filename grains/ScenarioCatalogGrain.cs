using OkrGrid.Planning;

namespace OkrGrid.Engine;

[GenerateSerializer, Alias("okr.state.scenario-catalog-record")]
public sealed class ScenarioCatalogRecord
{
    [Id(0)] public Dictionary<string, ScenarioSummary> Scenarios { get; set; } = [];
}

/// <summary>The company's list of scenarios (a line each), kept by the scenarios themselves as they change.</summary>
public sealed class ScenarioCatalogGrain(
    [PersistentState("scenario-catalog", StorageNames.Okr)] IPersistentState<ScenarioCatalogRecord> state)
    : Grain, IScenarioCatalogGrain
{
    async Task IScenarioCatalogGrain.PutAsync(ScenarioSummary summary)
    {
        state.State.Scenarios[summary.Id] = summary;
        await state.WriteStateAsync();
    }

    Task<ImmutableArray<ScenarioSummary>> IScenarioCatalogGrain.ListAsync() =>
        Task.FromResult(state.State.Scenarios.Values.OrderByDescending(s => s.CreatedAt).ToImmutableArray());
}
