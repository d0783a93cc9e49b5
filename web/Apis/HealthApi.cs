using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OkrGrid.Web.Apis;

public static class HealthApi
{
    /// <summary>
    /// <c>/healthz/ready</c> (and <c>/healthz</c>): ready to serve — the engine answers, its database answers, the change
    /// feed is heard; 503 otherwise. <c>/healthz/live</c>: the process is up and answering HTTP (no dependency checked:
    /// a database outage must not make an orchestrator restart a host that will recover by itself).
    /// </summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz");
        app.MapHealthChecks("/healthz/ready");
        app.MapHealthChecks("/healthz/live", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false });
        return app;
    }
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

/// <summary>
/// Logs a health check when its status changes, not on every poll (a probe asks every few seconds): while the host is
/// starting, "not ready yet" is information; a check that was healthy and fails is an error, once, with its cause; a
/// recovery is information again. The health-check service's own per-poll log lines are turned off (AddOkrGridApi).
/// </summary>
public sealed class HealthTransitions(ILogger<HealthTransitions> logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (HealthStatus Status, bool WasHealthy)> _last = new();

    public HealthCheckResult Report(string check, HealthCheckResult result)
    {
        var (previous, wasHealthy) = _last.GetValueOrDefault(check, ((HealthStatus)(-1), false));
        _last[check] = (result.Status, wasHealthy || result.Status == HealthStatus.Healthy);
        if (previous == result.Status) return result;
        switch (result.Status)
        {
            case HealthStatus.Healthy:
                logger.LogInformation("Health: {Check} is healthy{Again}.", check, wasHealthy ? " again" : "");
                break;
            case HealthStatus.Degraded:
                logger.LogWarning("Health: {Check} is degraded: {Description}", check, result.Description);
                break;
            default:
                if (wasHealthy) logger.LogError(result.Exception, "Health: {Check} is unhealthy: {Description}", check, result.Description);
                else logger.LogInformation("Health: {Check} is not ready yet: {Description}", check, result.Description);
                break;
        }
        return result;
    }
}

/// <summary>Healthy when PostgreSQL answers a trivial query within two seconds (check-ins cannot be acknowledged without it).</summary>
internal sealed class DatabaseHealthCheck(Npgsql.NpgsqlDataSource dataSource, HealthTransitions transitions) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var cmd = dataSource.CreateCommand("select 1");
            await cmd.ExecuteScalarAsync(timeout.Token);
            return transitions.Report("database", HealthCheckResult.Healthy());
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return transitions.Report("database", HealthCheckResult.Unhealthy("PostgreSQL does not answer.", ex));
        }
    }
}
