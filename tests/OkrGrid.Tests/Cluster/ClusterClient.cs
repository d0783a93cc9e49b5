using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OkrGrid.Silo.Hosting;

namespace OkrGrid.Tests.Cluster;

/// <summary>A grain client of a test cluster (database membership), as the cluster tests drive it beside the web host.</summary>
internal static class ClusterClient
{
    public static async Task<IHost> StartAsync(string clusterId, string database)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(c => c.UseOkrGridClustering(new ClusterSettings { Mode = ClusterMode.Client, ClusterId = clusterId }, database));
        var client = builder.Build();
        await client.StartAsync();
        return client;
    }

    /// <summary>Stops it within 5 s whatever state the cluster is in (a silo may have been killed).</summary>
    public static async Task StopAsync(IHost? client)
    {
        if (client is null) return;
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await client.StopAsync(stopping.Token); } catch (Exception) { }
        client.Dispose();
    }
}
