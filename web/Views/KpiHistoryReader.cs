namespace OkrGrid.Web.Views;

/// <summary>
/// A KPI's full measurement history, for its trend chart: the one place the dashboards ask a KPI grain for it, so that
/// pages take their data from typed services instead of calling grains themselves.
/// </summary>
public sealed class KpiHistoryReader(IGrainFactory grains)
{
    /// <summary>Every measurement of the KPI, oldest first as the grain keeps them; null when there is no such KPI (deleted meanwhile).</summary>
    public async Task<ImmutableArray<Measurement>?> GetAsync(string kpiId, CancellationToken cancellationToken = default)
    {
        try
        {
            return await grains.GetGrain<IKpiGrain>(kpiId).GetHistoryAsync().WaitAsync(cancellationToken);
        }
        catch (OkrRejectedException)
        {
            return null;
        }
    }
}
