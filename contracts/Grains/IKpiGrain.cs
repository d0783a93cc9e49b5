using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>A KPI: a continuous health metric. Key: the KPI id.</summary>
[Alias("okr.grains.kpi-grain")]
public interface IKpiGrain : IGrainWithStringKey
{
    /// <summary>Defines (or redefines) the KPI as part of the company's catalogue.</summary>
    [Alias("Define")] Task DefineAsync(KpiDefinition definition, string companyId = "");
    [Alias("Delete")] Task DeleteAsync();
    /// <summary>As a check-in: durable when it returns, once per client id, by an actor allowed to (null: the engine).</summary>
    [Alias("Record")] Task<MeasurementResult> RecordAsync(Measurement measurement, OkrGrid.Access.Actor? actor = null);
    [Alias("GetView")] Task<KpiView> GetViewAsync();
    [Alias("GetHistory")] Task<ImmutableArray<Measurement>> GetHistoryAsync();
    [Alias("GetState"), AlwaysInterleave] Task<KpiState> GetStateAsync();

    /// <summary>Registers a key result to be told of new measurements; returns the current state.</summary>
    [Alias("Link")] Task<KpiState> LinkAsync(string keyResultId);
    [Alias("LinkMany")] Task LinkManyAsync(ImmutableArray<string> keyResultIds);
    [Alias("Unlink")] Task UnlinkAsync(string keyResultId);
}
