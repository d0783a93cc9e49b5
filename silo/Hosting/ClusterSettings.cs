using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace OkrGrid.Silo.Hosting;

/// <summary>How a web host takes part in an OkrGrid cluster (the standalone silo host is always a silo).</summary>
public enum ClusterMode
{
    /// <summary>The silo runs inside this web host (the default).</summary>
    Embedded,

    /// <summary>
    /// This host runs no silo: it joins an existing OkrGrid cluster as a client — finding the silos' gateways in the
    /// membership table, or through <see cref="ClusterSettings.Gateways"/> when they are listed — and serves the API,
    /// hub and pages from there. Its own change-feed observer brings every silo's changes to its clients.
    /// </summary>
    Client,
}

/// <summary>How silos find each other (and clients find silos).</summary>
public enum ClusterMembership
{
    /// <summary>
    /// One silo on this machine, nothing to find (Orleans' localhost clustering): what <c>dotnet run --project web</c>
    /// uses. A restart after a crash starts at once — no membership row of the dead process to wait out.
    /// </summary>
    Localhost,

    /// <summary>
    /// The membership table in the service's PostgreSQL (Microsoft.Orleans.Clustering.AdoNet, migration 0008): any
    /// number of silos on any machines, failure detection and gateways for clients. What a cluster runs.
    /// </summary>
    Database,
}

/// <summary>
/// The "Cluster" configuration section, read by the web host and the standalone silo host alike. Every value can
/// come from the environment (<c>Cluster__SiloName</c>, <c>Cluster__AdvertisedIP</c>, …), which is how a container
/// or a Kubernetes pod (pod name and IP through the downward API) sets them. A value that cannot be right fails the
/// start with a message naming the setting.
/// </summary>
public sealed class ClusterSettings
{
    public const string SectionName = "Cluster";

    public ClusterMode Mode { get; init; } = ClusterMode.Embedded;

    /// <summary>
    /// Null: <see cref="ClusterMembership.Localhost"/> for a web host's embedded silo, <see cref="ClusterMembership.Database"/>
    /// for the standalone silo host and for a client that lists no gateways.
    /// </summary>
    public ClusterMembership? Membership { get; init; }

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>Orleans' service id: grain state is stored under it, so it stays the same across restarts.</summary>
    public string ServiceId { get; init; } = "okrgrid";

    /// <summary>Orleans' cluster id: silos and clients with the same id (and database) form one cluster.</summary>
    public string ClusterId { get; init; } = "okrgrid-embedded";

    /// <summary>This silo's name in the membership table and logs (Kubernetes: the pod's name). Default: host name and port.</summary>
    public string? SiloName { get; init; }

    /// <summary>
    /// The address other silos and clients reach this silo at (Kubernetes: the pod's IP). Default: loopback with
    /// localhost membership, else this machine's first non-loopback IPv4 address.
    /// </summary>
    public string? AdvertisedIP { get; init; }

    /// <summary>Listen on every interface rather than only <see cref="AdvertisedIP"/> (a container behind its own IP).</summary>
    public bool ListenOnAnyHostAddress { get; init; }

    /// <summary>
    /// Failure detection (database membership): a silo that misses <see cref="MissedProbesLimit"/> probes of
    /// <see cref="ProbeTimeout"/> each is voted dead and its grains re-activate elsewhere. Orleans' defaults (5 s × 3)
    /// take 15 s or more; ours aim at the ≤ 10 s the engine promises for resuming after a silo is lost.
    /// </summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public int MissedProbesLimit { get; init; } = 3;

    /// <summary>
    /// After a silo is declared dead, the grain directory holds its grains back from re-activating elsewhere for this
    /// long, in case it is in fact still running (a silo wrongly voted out stops itself once it learns of it). Orleans'
    /// own hold is 30 s from the estimated failure, about 6 s after the declaration with our probes — most of the time
    /// a killed silo's grains were unreachable. OkrGrid needs little of it: a stale activation cannot commit over a newer
    /// one (journal entries are keyed by node and entry id, the structure log by cycle and sequence).
    /// </summary>
    public TimeSpan DeadSiloHold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Client mode: how long a call to the cluster waits for its answer before the API answers 503 (Retry-After). A
    /// request that a gateway had forwarded to a silo as it was killed is never answered; Orleans' default (30 s) kept
    /// such a check-in hanging that long. Long operations (an import) carry their own, longer limit.
    /// </summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Client mode: the silos' gateway endpoints, "host:port" (e.g. "10.0.0.5:30000"); empty: from the membership table.</summary>
    public string[] Gateways { get; init; } = [];

    /// <summary>The membership in effect for a silo (<paramref name="standalone"/>: the silo host) or a client.</summary>
    public ClusterMembership EffectiveMembership(bool standalone) => Membership ?? (standalone || Mode == ClusterMode.Client
        ? ClusterMembership.Database : ClusterMembership.Localhost);

    /// <summary>The silo's name: configured, else host name and silo port (unique on a machine).</summary>
    public string EffectiveSiloName => string.IsNullOrWhiteSpace(SiloName)
        ? $"{Dns.GetHostName()}-{SiloPort.ToString(CultureInfo.InvariantCulture)}" : SiloName.Trim();

    /// <summary>The address advertised to the cluster (see <see cref="AdvertisedIP"/>).</summary>
    public IPAddress AdvertisedAddress(ClusterMembership membership)
    {
        if (!string.IsNullOrWhiteSpace(AdvertisedIP))
            return IPAddress.Parse(AdvertisedIP.Trim()); // validated by Read
        if (membership == ClusterMembership.Localhost) return IPAddress.Loopback;
        return Dns.GetHostAddresses(Dns.GetHostName())
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? throw new OkrGridConfigurationException(
                $"{SectionName}:AdvertisedIP is not set and this machine has no non-loopback IPv4 address; set it to the address other silos reach this one at.");
    }

    /// <summary>The gateways as endpoints; a host name is resolved now, so a typo fails the start, not the first call.</summary>
    public IPEndPoint[] GatewayEndpoints() =>
        [.. Gateways.Select((text, i) =>
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new OkrGridConfigurationException($"{SectionName}:Gateways:{i} is '{text}'; expected \"host:port\".");
            var host = text[..colon].Trim('[', ']');
            IPAddress address;
            if (IPAddress.TryParse(host, out var ip)) address = ip;
            else
            {
                try { address = Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new InvalidOperationException(); }
                catch (Exception ex) when (ex is SocketException or InvalidOperationException)
                {
                    throw new OkrGridConfigurationException($"{SectionName}:Gateways:{i}: cannot resolve '{host}'.");
                }
            }
            return new IPEndPoint(address, port);
        })];

    /// <summary>
    /// Reads and checks the section. Every problem names its setting: a start-up error an operator can act on, not
    /// a binder's stack trace.
    /// </summary>
    public static ClusterSettings Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        CheckEnum<ClusterMode>(section, "Mode");
        CheckEnum<ClusterMembership>(section, "Membership");
        CheckParses(section, "SiloPort", s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _), "a TCP port");
        CheckParses(section, "GatewayPort", s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _), "a TCP port");
        CheckParses(section, "MissedProbesLimit", s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _), "a whole number");
        CheckParses(section, "ProbeTimeout", s => TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out _), "a duration such as 00:00:02");
        CheckParses(section, "DeadSiloHold", s => TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out _), "a duration such as 00:00:02");
        CheckParses(section, "ResponseTimeout", s => TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out _), "a duration such as 00:00:10");
        CheckParses(section, "ListenOnAnyHostAddress", s => bool.TryParse(s, out _), "true or false");
        CheckParses(section, "AdvertisedIP", s => IPAddress.TryParse(s.Trim(), out _), "an IP address such as 10.0.0.5");

        var settings = section.Get<ClusterSettings>() ?? new ClusterSettings();
        if (settings.SiloPort is < 1 or > 65535) throw new OkrGridConfigurationException($"{SectionName}:SiloPort must be a TCP port (got {settings.SiloPort}).");
        if (settings.GatewayPort is < 1 or > 65535) throw new OkrGridConfigurationException($"{SectionName}:GatewayPort must be a TCP port (got {settings.GatewayPort}).");
        if (settings.SiloPort == settings.GatewayPort) throw new OkrGridConfigurationException($"{SectionName}:SiloPort and {SectionName}:GatewayPort are both {settings.SiloPort}; they must differ.");
        if (string.IsNullOrWhiteSpace(settings.ServiceId)) throw new OkrGridConfigurationException($"{SectionName}:ServiceId must not be empty.");
        if (string.IsNullOrWhiteSpace(settings.ClusterId)) throw new OkrGridConfigurationException($"{SectionName}:ClusterId must not be empty.");
        if (settings.ProbeTimeout < TimeSpan.FromMilliseconds(100) || settings.ProbeTimeout > TimeSpan.FromMinutes(5))
            throw new OkrGridConfigurationException($"{SectionName}:ProbeTimeout must be between 00:00:00.1 and 00:05:00 (got {settings.ProbeTimeout}).");
        if (settings.DeadSiloHold < TimeSpan.Zero || settings.DeadSiloHold > TimeSpan.FromMinutes(5))
            throw new OkrGridConfigurationException($"{SectionName}:DeadSiloHold must be between 00:00:00 and 00:05:00 (got {settings.DeadSiloHold}).");
        if (settings.ResponseTimeout < TimeSpan.FromSeconds(1) || settings.ResponseTimeout > TimeSpan.FromMinutes(10))
            throw new OkrGridConfigurationException($"{SectionName}:ResponseTimeout must be between 00:00:01 and 00:10:00 (got {settings.ResponseTimeout}).");
        if (settings.MissedProbesLimit is < 1 or > 100)
            throw new OkrGridConfigurationException($"{SectionName}:MissedProbesLimit must be between 1 and 100 (got {settings.MissedProbesLimit}).");
        if (settings.Mode == ClusterMode.Client && settings.Gateways.Length == 0 && settings.Membership == ClusterMembership.Localhost)
            throw new OkrGridConfigurationException(
                $"{SectionName}:Mode is Client with {SectionName}:Membership=Localhost but {SectionName}:Gateways is empty; list the silos' gateways as \"host:port\", or use Membership=Database.");
        return settings;
    }

    private static void CheckEnum<T>(IConfigurationSection section, string key) where T : struct, Enum
    {
        var value = section[key];
        if (!string.IsNullOrWhiteSpace(value) && !Enum.TryParse<T>(value, ignoreCase: true, out _))
            throw new OkrGridConfigurationException(
                $"{SectionName}:{key} is '{value}', which this build does not support. Supported: {string.Join(", ", Enum.GetNames<T>())}.");
    }

    private static void CheckParses(IConfigurationSection section, string key, Func<string, bool> parses, string expected)
    {
        var value = section[key];
        if (!string.IsNullOrWhiteSpace(value) && !parses(value))
            throw new OkrGridConfigurationException($"{SectionName}:{key} is '{value}'; expected {expected}.");
    }
}
