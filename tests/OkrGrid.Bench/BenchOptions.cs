using System.Globalization;

namespace OkrGrid.Bench;

/// <summary>Command-line options of the benchmark.</summary>
public sealed record BenchOptions
{
    /// <summary>Size of the organisation for throughput and latency (figures 1–4).</summary>
    public int OrgSize { get; init; } = 10_000;

    /// <summary>Size for memory, cold start and recovery (figures 5–6) and the large snapshot (figure 7).</summary>
    public int LargeOrgSize { get; init; } = 100_000;

    /// <summary>The second size of the planner's simulation figure (10), beside <see cref="LargeOrgSize"/>: no engine, so 1M is feasible.</summary>
    public int PlannerOrgSize { get; init; } = 1_000_000;

    /// <summary>Timed repetitions of each planner simulation (after a warm-up), each with other random moves.</summary>
    public int PlannerRuns { get; init; } = 50;

    /// <summary>
    /// Size of the organisation for the structure-at-scale figure (11: import, one change at a time, activation after a
    /// restart), in a database of its own; 0: not run. <c>--structure-1m</c> sets 1M (long: for a run of its own).
    /// </summary>
    public int StructureImportSize { get; init; }

    /// <summary>Size of the organisation for the cluster figure (12: silo processes on this machine, 1 and 3 of them).</summary>
    public int ClusterOrgSize { get; init; } = 5_000;

    /// <summary>Check-ins in flight for the cluster figure's closed loops (each run on 1 and on 3 silos).</summary>
    public int[] ClusterConcurrency { get; init; } = [256, 1024];

    /// <summary>
    /// The cluster figure's open-loop rate (check-ins/s) for propagation across silos, the same for 1 and 3 silos: at most
    /// half of what 1 silo sustained in the closed loop.
    /// </summary>
    public double ClusterRate { get; init; } = 1_000;

    public bool Quick { get; init; }
    public int Seed { get; init; } = 2026;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Long enough for tiered compilation to finish: the figures are of a server that has been running.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(10);
    public int[] Concurrency { get; init; } = [64, 256, 1024];
    public int PeerConnections { get; init; } = 16;

    /// <summary>Concurrent HTTP clients (closed loop) for the REST check-in figure; the web host gets the same org.</summary>
    public int[] RestConcurrency { get; init; } = [64, 256];

    /// <summary>SignalR clients on the company scorecard for the check-in → client latency figure.</summary>
    public int HubClients { get; init; } = 200;
    public string OutputDirectory { get; init; } = "bench/results";
    public bool Skewed { get; init; }

    /// <summary><c>--show SIZE</c>: serve an organisation of this size in the web host to look at (<see cref="ShowMode"/>); 0: run the bench.</summary>
    public int ShowSize { get; init; }

    /// <summary>Child-process modes used by the cold-start and recovery figure.</summary>
    public string? ServeConnectionString { get; init; }
    public int ServeGatewayPort { get; init; }
    public int ServeSiloPort { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            o = args[i] switch
            {
                "--org" => o with { OrgSize = OrgGenerator.ParseSize(Next()) },
                "--large" => o with { LargeOrgSize = OrgGenerator.ParseSize(Next()) },
                "--planner-org" => o with { PlannerOrgSize = OrgGenerator.ParseSize(Next()) },
                "--planner-runs" => o with { PlannerRuns = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--quick" => o with
                {
                    Quick = true,
                    OrgSize = 1_000,
                    LargeOrgSize = 5_000,
                    Duration = TimeSpan.FromSeconds(1),
                    Warmup = TimeSpan.FromSeconds(0.5),
                    Concurrency = [64],
                    PeerConnections = 8,
                    RestConcurrency = [64],
                    HubClients = 20,
                    PlannerOrgSize = 10_000,
                    PlannerRuns = 5,
                    StructureImportSize = 2_000,
                    ClusterOrgSize = 500,
                    ClusterConcurrency = [64],
                    ClusterRate = 200,
                },
                "--structure-1m" => o with { StructureImportSize = 1_000_000 },
                "--structure-import" => o with { StructureImportSize = OrgGenerator.ParseSize(Next()) },
                "--cluster-org" => o with { ClusterOrgSize = OrgGenerator.ParseSize(Next()) },
                "--cluster-concurrency" => o with { ClusterConcurrency = Next().Split(',').Select(int.Parse).ToArray() },
                "--cluster-rate" => o with { ClusterRate = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--duration" => o with { Duration = TimeSpan.FromSeconds(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)) },
                "--concurrency" => o with { Concurrency = Next().Split(',').Select(int.Parse).ToArray() },
                "--rest-concurrency" => o with { RestConcurrency = Next().Split(',').Select(int.Parse).ToArray() },
                "--hub-clients" => o with { HubClients = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--skewed" => o with { Skewed = true },
                "--out" => o with { OutputDirectory = Next() },
                "--serve" => o with { ServeConnectionString = Next() },
                "--show" => o with { ShowSize = OrgGenerator.ParseSize(Next()) },
                "--gateway-port" => o with { ServeGatewayPort = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--silo-port" => o with { ServeSiloPort = int.Parse(Next(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option {args[i]}. Options: --org 10k, --large 100k, --planner-org 1m, --planner-runs 50, --structure-1m, --structure-import 10k, --cluster-org 5k, --cluster-concurrency 256,1024, --cluster-rate 1000, --quick, --seed N, --duration S, --concurrency 64,256, --rest-concurrency 64,256, --hub-clients 200, --skewed, --out DIR; --show 10k serves such an organisation in the web host to look at."),
            };
        }
        return o;
    }
}
