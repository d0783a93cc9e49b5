using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OkrGrid.Web.Apis;

public static class HealthApi
{
    /// <summary><c>GET /healthz</c>: "Healthy" when the embedded silo answers a grain call.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz");
        return app;
    }
}

/// <summary>
/// Healthy once this host hears the change feed (dashboards are live); before the first subscription settles it is
/// unhealthy (not ready), and degraded while a lost subscription is being renewed.
/// </summary>
internal sealed class LiveFeedHealthCheck(LiveBoard board) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!board.Ready ? HealthCheckResult.Unhealthy("Not yet subscribed to the change feed.")
            : board.FeedConnected ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded("The change-feed subscription was lost; renewing (dashboards may lag)."));
}

/// <summary>Healthy when the company grain answers (which needs the silo and, on activation, its storage).</summary>
internal sealed class EngineHealthCheck(IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync().WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The engine did not answer.", ex);
        }
    }
}
