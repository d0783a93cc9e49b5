using Microsoft.Extensions.Diagnostics.HealthChecks;
using OkrGrid.Silo.Hosting;

namespace OkrGrid.Web.Apis;

public static class HealthApi
{
    /// <summary>
    /// <c>/healthz/ready</c> (and <c>/healthz</c>): ready to serve — the engine answers, its database answers, the change
    /// feed is heard; 503 otherwise. <c>/healthz/live</c>: the process is up and answering HTTP (no dependency checked:
    /// a database outage must not make an orchestrator restart a host that will recover by itself).
    /// </summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app) => app.MapOkrGridHealth();
}

/// <summary>
/// Healthy once this host hears the change feed (dashboards are live); before the first subscription settles it is
/// unhealthy (not ready), and degraded while a lost subscription is being renewed.
/// </summary>
internal sealed class LiveFeedHealthCheck(LiveBoard board, HealthTransitions transitions) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(transitions.Report("live-feed", !board.Ready ? HealthCheckResult.Unhealthy("Not yet subscribed to the change feed.")
            : board.FeedConnected ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded("The change-feed subscription was lost; renewing (dashboards may lag).")));
}

/// <summary>Healthy when the company grain answers (which needs the silo and, on activation, its storage).</summary>
internal sealed class EngineHealthCheck(IGrainFactory grains, HealthTransitions transitions) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync().WaitAsync(Timeout, cancellationToken);
            return transitions.Report("engine", HealthCheckResult.Healthy());
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return transitions.Report("engine", HealthCheckResult.Unhealthy("The engine did not answer.", ex));
        }
    }
}
