using System.Diagnostics;
using System.Text;
using Npgsql;

namespace OkrGrid.Workload.Hosting;

/// <summary>
/// The standalone silo host (silohost/) as a separate process on loopback ports, joined to a cluster through the
/// membership table of <c>connectionString</c>'s database: what the cluster test runs three of and kills -9.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _connectionString;

    private SiloProcess(Process process, string name, int siloPort, int gatewayPort, string connectionString)
    {
        _process = process;
        Name = name;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        _connectionString = connectionString;
    }

    public string Name { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts a silo and waits until the membership table lists it as active.</summary>
    public static async Task<SiloProcess> StartAsync(string connectionString, string name, string clusterId,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        int siloPort = WebProcess.FreePort(), gatewayPort = WebProcess.FreePort();
        var dll = SiloHostAssembly();
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["OKRGRID_POSTGRES"] = connectionString;
        start.Environment["Cluster__SiloName"] = name;
        start.Environment["Cluster__ClusterId"] = clusterId;
        start.Environment["Cluster__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Cluster__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Cluster__AdvertisedIP"] = "127.0.0.1";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["DOTNET_hostBuilder__reloadConfigOnChange"] = "false";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the silo host.");
        var silo = new SiloProcess(process, name, siloPort, gatewayPort, connectionString);
        process.OutputDataReceived += (_, e) => { lock (silo._output) silo._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (silo._output) silo._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await silo.WaitActiveAsync(clusterId);
        return silo;
    }

    /// <summary>Until this silo's row in the membership table is Active (3): it has joined and serves.</summary>
    private async Task WaitActiveAsync(string clusterId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"Silo {Name} exited:\n{Output}");
            try
            {
                await using var connection = new NpgsqlConnection(_connectionString);
                await connection.OpenAsync();
                await using var cmd = new NpgsqlCommand(
                    "select count(*) from orleansmembershiptable where deployment_id = @c and silo_name = @n and port = @p and status = 3", connection);
                cmd.Parameters.AddWithValue("c", clusterId);
                cmd.Parameters.AddWithValue("n", Name);
                cmd.Parameters.AddWithValue("p", SiloPort);
                if ((long)(await cmd.ExecuteScalarAsync())! > 0) return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable) { } // not migrated yet
            await Task.Delay(200);
        }
        throw new TimeoutException($"Silo {Name} did not become active:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster.</summary>
    public async Task KillAsync()
    {
        try { _process.Kill(entireProcessTree: false); }
        catch (InvalidOperationException) { } // already gone
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>The silo host built beside this test assembly (same configuration; the test project builds it first).</summary>
    private static string SiloHostAssembly()
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OkrGrid.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("Cannot find the repository root (OkrGrid.sln).");
        var dll = Path.Combine(root.FullName, "silohost", "bin", configuration, framework, "OkrGrid.SiloHost.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the silo host first.", dll);
    }
}
