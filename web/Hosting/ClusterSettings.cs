namespace OkrGrid.Web.Hosting;

/// <summary>How this host takes part in an OkrGrid cluster.</summary>
public enum ClusterMode
{
    /// <summary>The silo runs inside this web host, alone, on localhost clustering (the default).</summary>
    Embedded,
}

/// <summary>
/// The "Cluster" configuration section. Only <see cref="ClusterMode.Embedded"/> is supported for now; a cluster
/// of silos behind web hosts is a later step, and a mode this build does not know fails the start clearly.
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
