using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OkrGrid.Workload.Hosting;
using Orleans.Configuration;

namespace OkrGrid.Bench;

/// <summary>
/// The real web host (API, hub and its co-hosted silo) as a process, as users reach it, plus an Orleans client on
/// its gateway through which the bench imports the organisation and, after the load, reads the engine's snapshot
/// for verification. The load itself goes only over HTTP and SignalR.
/// </summary>
public sealed class UserPathHost : IAsyncDisposable
{
    /// <summary>The one company the web host serves (web/Company.cs); its scorecards and pages read this company.</summary>
    public const string CompanyId = "lumen";

    // web/Hosting/ClusterSettings.cs: the embedded silo's service and cluster ids.
    private const string ServiceId = "okrgrid";
    private const string ClusterId = "okrgrid-embedded";

    private readonly IHost _client;

    private UserPathHost(WebProcess web, IHost client)
    {
        Web = web;
        _client = client;
    }

    public WebProcess Web { get; }
    public IClusterClient Client => _client.Services.GetRequiredService<IClusterClient>();

    /// <summary>Starts the web host on <paramref name="connectionString"/> (no demo company) and connects to its gateway.</summary>
    public static async Task<UserPathHost> StartAsync(string connectionString)
    {
        var gatewayPort = WebProcess.FreePort();
        var web = await WebProcess.StartAsync(connectionString, seedDemo: false, new Dictionary<string, string>
        {
            ["Cluster__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // No file watcher on the host's directory: a checkout being built would cost it CPU mid-figure.
            ["DOTNET_hostBuilder__reloadConfigOnChange"] = "false",
        });
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.UseOrleansClient(c => c
                .UseLocalhostClustering(gatewayPort, ServiceId, ClusterId)
                // Importing a large organisation's chunks can outlast the default 30 s on a loaded machine.
                .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(2)));
            var client = builder.Build();
            await client.StartAsync();
            return new UserPathHost(web, client);
        }
        catch
        {
            await web.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The synthetic organisation as the web host's own company: the same teams, people, KPIs and graph, with the
    /// company owner renamed (the engine checks that a company owner is the organisation it is imported into).
    /// </summary>
    public static SyntheticOrg AsHostCompany(SyntheticOrg org)
    {
        Owner Map(Owner o) => o.Kind == OwnerKind.Company ? Owner.Company(CompanyId) : o;
        return org with
        {
            CompanyId = CompanyId,
            Kpis = [.. org.Kpis.Select(k => k with { Owner = Map(k.Owner) })],
            Objectives = [.. org.Objectives.Select(o => o with { Owner = Map(o.Owner) })],
            KeyResults = [.. org.KeyResults.Select(k => k with { Owner = Map(k.Owner) })],
        };
    }

    public async ValueTask DisposeAsync()
    {
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try { await _client.StopAsync(stopping.Token); } catch (Exception) { }
        }
        _client.Dispose();
        await Web.DisposeAsync();
    }
}
