using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OkrGrid.Silo.Hosting;

/// <summary>
/// The health endpoints every engine host serves, silo host and web host alike. <c>/healthz/ready</c> (and
/// <c>/healthz</c>): every registered check passes, 503 otherwise. <c>/healthz/live</c>: the process is up and answers
/// HTTP — no dependency checked, so a database outage never makes an orchestrator restart a host that recovers by itself.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Registers the transition log and turns off the health-check service's own line per poll.</summary>
    public static IHealthChecksBuilder AddOkrGridHealth(this IServiceCollection services)
    {
        services.AddSingleton<HealthTransitions>();
        // One line per poll (and "fail" for a host that is merely starting) says less than one per change: HealthTransitions.
        services.AddLogging(logging => logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.None));
        return services.AddHealthChecks();
    }

    public static IEndpointRouteBuilder MapOkrGridHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz");
        app.MapHealthChecks("/healthz/ready");
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false });
        return app;
    }
}

/// <summary>
/// Healthy while this process's silo is an active member of its cluster (it takes grains and clients); unhealthy while
/// it joins and once it is shutting down or was declared dead — a readiness probe then takes its gateway out of service.
/// </summary>
public sealed class SiloMembershipHealthCheck(ILocalSiloDetails silo, IClusterMembershipService membership, HealthTransitions transitions) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(transitions.Report("silo", status == SiloStatus.Active
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"The silo is {status.ToString().ToLowerInvariant()}, not active.")));
    }
}

/// <summary>
/// Logs a health check when its status changes, not on every poll (a probe asks every few seconds): while the host is
/// starting, "not ready yet" is information; a check that was healthy and fails is an error, once, with its cause; a
/// recovery is information again. The health-check service's own per-poll log lines are turned off (AddOkrGridHealth).
/// </summary>
public sealed class HealthTransitions(ILogger<HealthTransitions> logger)
{
    private readonly ConcurrentDictionary<string, (HealthStatus Status, bool WasHealthy)> _last = new();

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
public sealed class DatabaseHealthCheck(Npgsql.NpgsqlDataSource dataSource, HealthTransitions transitions) : IHealthCheck
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
