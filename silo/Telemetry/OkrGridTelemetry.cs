using Microsoft.Extensions.Configuration;
using Npgsql;
using OkrGrid.Engine.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace OkrGrid.Silo.Telemetry;

/// <summary>The "Telemetry" configuration section (environment: <c>Telemetry__Metrics=false</c>, …).</summary>
public sealed class TelemetrySettings
{
    public const string SectionName = "Telemetry";

    /// <summary>OpenTelemetry metrics (Prometheus text at /metrics on a web host; OTLP when an endpoint is configured).</summary>
    public bool Metrics { get; init; } = true;

    /// <summary>
    /// Share of traces kept (a root's decision; children follow their parent). Traces exist only when an OTLP endpoint
    /// is configured: Prometheus has no traces, and without a listener Orleans and Npgsql create no spans at all. At
    /// thousands of check-ins a second every grain call would be a span; a few percent show the shape of the work.
    /// </summary>
    public double TraceSampleRatio { get; init; } = 0.05;

    /// <summary>The Orleans Dashboard (silo part on every silo; the pages under /admin/orleans on web hosts, admins only).</summary>
    public bool Dashboard { get; init; } = true;

    /// <summary>The dashboard's live log stream: off unless asked for (logs can hold personal data).</summary>
    public bool DashboardLogs { get; init; }

    /// <summary>
    /// A secret a scraper (Prometheus) sends as <c>Authorization: Bearer …</c> to read /metrics, and nothing else; at least
    /// 32 characters. Unset: only admins (a session or an admin-scope token) read /metrics.
    /// </summary>
    public string? ScrapeToken { get; init; }

    public static TelemetrySettings Read(IConfiguration configuration)
    {
        var settings = configuration.GetSection(SectionName).Get<TelemetrySettings>() ?? new TelemetrySettings();
        if (settings.TraceSampleRatio is < 0 or > 1 || double.IsNaN(settings.TraceSampleRatio))
            throw new InvalidOperationException($"{SectionName}:TraceSampleRatio must be between 0 and 1 (got {settings.TraceSampleRatio}).");
        if (settings.ScrapeToken is { } token && (token.Length < 32 || token.Any(c => c is <= ' ' or > '~')))
            throw new InvalidOperationException($"{SectionName}:ScrapeToken must be at least 32 printable ASCII characters without spaces (e.g. openssl rand -hex 32).");
        return settings;
    }
}

/// <summary>
/// The OpenTelemetry setup every engine host shares — a silo host, a web host with a co-hosted silo, a web host that is
/// a cluster client: the meters and activity sources of Orleans, Npgsql, the .NET runtime and OkrGrid, exported over
/// OTLP when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. A web host adds ASP.NET Core's and the Prometheus
/// exporter on top; a silo host without HTTP exports over OTLP only.
/// </summary>
public static class OkrGridTelemetry
{
    /// <summary>Orleans' meter (messaging, activations, membership, storage, …).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Every Orleans activity source (application calls, runtime, lifecycle, storage).</summary>
    public const string OrleansSources = "Microsoft.Orleans.*";

    /// <summary>Whether spans are exported: only to an OTLP collector (the standard variables, for all signals or traces alone).</summary>
    public static bool TracingEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);

    private static bool OtlpEnabled(IConfiguration configuration) =>
        TracingEnabled(configuration) || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]);

    /// <param name="serviceName">service.name unless OTEL_SERVICE_NAME says otherwise: "okrgrid-web" or "okrgrid-silo".</param>
    /// <param name="metrics">More metric sources and exporters of this host (a web host's ASP.NET Core and Prometheus).</param>
    /// <param name="tracing">More trace sources of this host.</param>
    public static IOpenTelemetryBuilder AddOkrGridTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName,
        Action<MeterProviderBuilder>? metrics = null, Action<TracerProviderBuilder>? tracing = null)
    {
        var settings = TelemetrySettings.Read(configuration);
        var builder = services.AddOpenTelemetry().ConfigureResource(resource =>
        {
            // The instance is the pod (its name is the host name) or the machine; several hosts on one machine add their process id.
            if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                resource.AddService(serviceName, serviceVersion: typeof(OkrGridMetrics).Assembly.GetName().Version?.ToString(),
                    serviceInstanceId: $"{Environment.MachineName}/{Environment.ProcessId}");
        });
        if (settings.Metrics)
        {
            builder.WithMetrics(m =>
            {
                m.AddMeter(OkrGridMetrics.MeterName, OrleansMeter, "System.Runtime")
                    .AddNpgsqlInstrumentation();
                metrics?.Invoke(m);
            });
        }
        if (TracingEnabled(configuration) && settings.TraceSampleRatio > 0)
        {
            builder.WithTracing(t =>
            {
                t.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(settings.TraceSampleRatio)))
                    .AddSource(OkrGridMetrics.ActivitySourceName, OrleansSources)
                    .AddNpgsql();
                tracing?.Invoke(t);
            });
        }
        // One exporter for every signal, reading the standard OTEL_EXPORTER_OTLP_* settings (endpoint, protocol, headers).
        if (OtlpEnabled(configuration)) builder.UseOtlpExporter();
        return builder;
    }

    /// <summary>
    /// What a silo adds for operations: the Orleans Dashboard's silo part (every silo needs it for the dashboard to see
    /// the cluster), and, when traces are exported, Orleans' activity propagation (a grain call's span joins its caller's trace).
    /// </summary>
    public static ISiloBuilder AddOkrGridOperations(this ISiloBuilder silo, IConfiguration configuration)
    {
        var settings = TelemetrySettings.Read(configuration);
        if (settings.Dashboard) silo.AddDashboard(o => o.HideTrace = !settings.DashboardLogs);
        if (TracingEnabled(configuration) && settings.TraceSampleRatio > 0) silo.AddActivityPropagation();
        return silo;
    }

    /// <summary>The same for a host that is a cluster client (a web host in client mode).</summary>
    public static IClientBuilder AddOkrGridOperations(this IClientBuilder client, IConfiguration configuration)
    {
        var settings = TelemetrySettings.Read(configuration);
        if (settings.Dashboard) client.AddDashboard(o => o.HideTrace = !settings.DashboardLogs);
        if (TracingEnabled(configuration) && settings.TraceSampleRatio > 0) client.AddActivityPropagation();
        return client;
    }
}
