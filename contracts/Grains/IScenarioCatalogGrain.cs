using OkrGrid.Planning;

namespace OkrGrid.Grains;

/// <summary>The scenarios of a company, newest first. Key: the company id.</summary>
[Alias("okr.grains.scenario-catalog-grain")]
public interface IScenarioCatalogGrain : IGrainWithStringKey
{
    [Alias("Put")] Task PutAsync(ScenarioSummary summary);
    [Alias("List"), AlwaysInterleave] Task<ImmutableArray<ScenarioSummary>> ListAsync();
}
