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
