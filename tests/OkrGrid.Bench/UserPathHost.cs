using System.Net.Http.Json;
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

    /// <summary>A service token with the check-in scope (acting for the whole company), made by the admin through the API.</summary>
    public async Task<string> CheckInTokenAsync()
    {
        using var response = await Web.Client.PostAsJsonAsync("/api/service-tokens", new { name = "bench check-ins", scope = "checkIn" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()!;
    }

    private static async Task MarkAsDemoAsync(string connectionString)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
        await OkrGrid.Silo.Storage.DatabaseMigrator.MigrateAsync(dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
        await using var cmd = dataSource.CreateCommand("insert into okr_settings (key, value) values ('mode', 'demo') on conflict (key) do nothing");
        await cmd.ExecuteNonQueryAsync();
    }
    public IClusterClient Client => _client.Services.GetRequiredService<IClusterClient>();

    /// <summary>
    /// Starts the web host on <paramref name="connectionString"/> and connects to its gateway. The database is made a demo
    /// database first (not seeded: the bench imports its own organisation), the only kind on which the host lets
    /// anonymous requests change things — so the same host serves the token-less baseline of figure 8 beside the
    /// check-ins that carry a token.
    /// </summary>
    public static async Task<UserPathHost> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? environment = null)
    {
        await MarkAsDemoAsync(connectionString);
        var gatewayPort = WebProcess.FreePort();
        var settings = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["Demo__Seed"] = "false",
            ["Auth__Anonymous__Enabled"] = "true",
            ["Auth__Anonymous__Role"] = "admin",
            ["Cluster__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // No file watcher on the host's directory: a checkout being built would cost it CPU mid-figure.
            ["DOTNET_hostBuilder__reloadConfigOnChange"] = "false",
        };
        var web = await WebProcess.StartAsync(connectionString, seedDemo: true, settings);
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

    /// <summary>The synthetic organisation as the web host's own company.</summary>
    public static SyntheticOrg AsHostCompany(SyntheticOrg org) => org.AsCompany(CompanyId);

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
