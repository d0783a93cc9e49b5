using Orleans.Configuration;

namespace OkrGrid.Silo.Hosting;

/// <summary>
/// How a silo joins, and a client finds, an OkrGrid cluster — the one place for it, used by the web host (embedded
/// silo or client) and the standalone silo host alike.
/// </summary>
public static class OkrGridCluster
{
    /// <summary>The AdoNet providers' name for Npgsql.</summary>
    private const string Invariant = "Npgsql";

    /// <summary>
    /// Membership, endpoints, ids and the silo's name. <paramref name="standalone"/>: the silo host, which defaults to
    /// database membership (a web host's embedded silo defaults to localhost clustering).
    /// </summary>
    public static ISiloBuilder UseOkrGridClustering(this ISiloBuilder silo, ClusterSettings cluster, string connectionString, bool standalone)
    {
        var membership = cluster.EffectiveMembership(standalone);
        if (membership == ClusterMembership.Localhost)
        {
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
        }
        else
        {
            silo.ConfigureEndpoints(cluster.AdvertisedAddress(membership), cluster.SiloPort, cluster.GatewayPort,
                listenOnAnyHostAddress: cluster.ListenOnAnyHostAddress);
            // Its own connections (the migration, which creates its tables and queries, runs before it reads them).
            silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
            silo.Configure<ClusterOptions>(o => { o.ServiceId = cluster.ServiceId; o.ClusterId = cluster.ClusterId; });
            // The strongly consistent directory: when a silo dies, the ranges it owned are recovered from the survivors
            // before lookups are answered, so a grain never runs twice (the default directory loses the dead silo's
            // entries and may start a second activation of a cycle beside the first).
            // Orleans marks it for evaluation (ORLEANSEXP003) in 10.x; it is what the Orleans team builds on for this.
#pragma warning disable ORLEANSEXP003
            silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = cluster.ProbeTimeout;
                o.NumMissedProbesLimit = cluster.MissedProbesLimit;
            });
            // Orleans counts the range lease from the estimated failure: the declaration less the detection window
            // (the longest probe timeout, 4 × ProbeTimeout, times the missed probes). So the hold after the declaration
            // is what is added to that window.
            silo.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration =
                cluster.ProbeTimeout * 4 * cluster.MissedProbesLimit + cluster.DeadSiloHold);
        }
        silo.Configure<SiloOptions>(o => o.SiloName = cluster.EffectiveSiloName);
        return silo;
    }

    /// <summary>
    /// A client of the cluster: gateways from the membership table (or the listed ones), and patience while the
    /// silos are not up yet — in a deployment the web hosts may well start first.
    /// </summary>
    public static IClientBuilder UseOkrGridClustering(this IClientBuilder client, ClusterSettings cluster, string connectionString)
    {
        var gateways = cluster.GatewayEndpoints();
        if (gateways.Length > 0) client.UseStaticClustering(gateways);
        else client.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        client.Configure<ClusterOptions>(o => { o.ServiceId = cluster.ServiceId; o.ClusterId = cluster.ClusterId; });
        // A gateway that died is dropped at once on its closed connection; the list is re-read this often to find new ones.
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(10));
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = cluster.ResponseTimeout);
        OkrGridSilo.AllowDatabaseExceptionsOnTheWire(client.Services);
        client.UseConnectionRetryFilter(new WaitForSilos());
        return client;
    }

    /// <summary>Retries the first connection for up to two minutes, saying why in the log's terms.</summary>
    private sealed class WaitForSilos : IClientConnectionRetryFilter
    {
        private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
        private DateTime? _firstFailure;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            _firstFailure ??= DateTime.UtcNow;
            if (DateTime.UtcNow - _firstFailure > Patience) return false;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        }
    }
}
