using System.Net;

namespace OkrGrid.Web.Hosting;

/// <summary>How this host takes part in an OkrGrid cluster.</summary>
public enum ClusterMode
{
    /// <summary>The silo runs inside this web host, alone, on localhost clustering (the default).</summary>
    Embedded,

    /// <summary>
    /// This host runs no silo: it joins an existing OkrGrid cluster as a client through the gateways listed in
    /// <see cref="ClusterSettings.Gateways"/> (e.g. another host's embedded silo), and serves the API, hub and pages
    /// from there. Its own change-feed observer brings every silo's changes to its clients.
    /// </summary>
    Client,
}

/// <summary>
/// The "Cluster" configuration section: embedded (a co-hosted silo, the default) or client (joins silos through
/// their gateways). A mode this build does not know fails the start clearly.
/// </summary>
public sealed class ClusterSettings
{
    public const string SectionName = "Cluster";

    public ClusterMode Mode { get; init; } = ClusterMode.Embedded;

    /// <summary>Silo-to-silo port of the embedded silo.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Client gateway port of the embedded silo.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>Orleans' service id: grain state is stored under it, so it stays the same across restarts.</summary>
    public string ServiceId { get; init; } = "okrgrid";

    public string ClusterId { get; init; } = "okrgrid-embedded";

    /// <summary>Client mode: the silos' gateway endpoints, "host:port" (e.g. "10.0.0.5:30000").</summary>
    public string[] Gateways { get; init; } = [];

    /// <summary>The gateways as endpoints; a host name is resolved now, so a typo fails the start, not the first call.</summary>
    public IPEndPoint[] GatewayEndpoints()
    {
        if (Gateways.Length == 0)
            throw new InvalidOperationException($"{SectionName}:Mode is Client but {SectionName}:Gateways is empty; list the silos' gateways as \"host:port\".");
        return [.. Gateways.Select((text, i) =>
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is < 1 or > 65535)
                throw new InvalidOperationException($"{SectionName}:Gateways:{i} is '{text}'; expected \"host:port\".");
            var host = text[..colon].Trim('[', ']');
            var address = IPAddress.TryParse(host, out var ip) ? ip
                : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new InvalidOperationException($"{SectionName}:Gateways:{i}: cannot resolve '{host}'.");
            return new IPEndPoint(address, port);
        })];
    }

    public static ClusterSettings Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var mode = section["Mode"];
        if (!string.IsNullOrWhiteSpace(mode) && !Enum.TryParse<ClusterMode>(mode, ignoreCase: true, out _))
        {
            throw new InvalidOperationException(
                $"{SectionName}:Mode is '{mode}', which this build does not support. Supported: {string.Join(", ", Enum.GetNames<ClusterMode>())}.");
        }
        var settings = section.Get<ClusterSettings>() ?? new ClusterSettings();
        if (settings.SiloPort is < 1 or > 65535) throw new InvalidOperationException($"{SectionName}:SiloPort must be a TCP port (got {settings.SiloPort}).");
        if (settings.GatewayPort is < 1 or > 65535) throw new InvalidOperationException($"{SectionName}:GatewayPort must be a TCP port (got {settings.GatewayPort}).");
        return settings;
    }
}
