using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OkrGrid.Workload.Hosting;

/// <summary>
/// The real OkrGrid web host (with its co-hosted silo) as a separate process on a free loopback port: what the API,
/// hub and browser tests talk to, what the crash test kills -9, and what the benchmark drives over HTTP.
/// </summary>
public sealed class WebProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WebProcess(Process process, Uri baseAddress)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    public Uri BaseAddress => Client.BaseAddress!;

    /// <summary>The host's process id (the benchmark reads its CPU time).</summary>
    public int ProcessId => _process.Id;

    /// <param name="environment">Extra settings (environment variables, e.g. <c>Demo__Activity</c>), applied last.</param>
    public static async Task<WebProcess> StartAsync(string connectionString, bool seedDemo = true,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [WebAssembly(), "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.GetDirectoryName(WebAssembly())!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["OKRGRID_POSTGRES"] = connectionString;
        start.Environment["Cluster__SiloPort"] = FreePort().ToString();
        start.Environment["Cluster__GatewayPort"] = FreePort().ToString();
        start.Environment["Demo__Seed"] = seedDemo ? "true" : "false";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the web host.");
        var web = new WebProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => { lock (web._output) web._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (web._output) web._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await web.WaitHealthyAsync();
        return web;
    }

    private async Task WaitHealthyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The web host exited:\n{Output}");
            try
            {
                if ((await Client.GetAsync("/healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The web host did not become healthy:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, no goodbye.</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: false); }
        catch (InvalidOperationException) { } // already gone
    }

    public async Task KillAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Client.Dispose();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The web host built next to this test assembly (same configuration; the test project builds it first).</summary>
    private static string WebAssembly()
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = baseDir.Name;                       // net10.0
        var configuration = baseDir.Parent!.Name;           // Debug or Release
        var root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OkrGrid.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("Cannot find the repository root (OkrGrid.sln).");
        var dll = Path.Combine(root.FullName, "web", "bin", configuration, framework, "OkrGrid.Web.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the web host first.", dll);
    }
}
