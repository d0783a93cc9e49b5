using System.Diagnostics;
using System.Globalization;
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

    private WebProcess(Process process, Uri baseAddress, bool demo)
    {
        _process = process;
        Demo = demo;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// A client with an admin's API token: what tests use to set things up and read them back (a demo host's admin is
    /// Maya Okafor; a production host's the initial admin, <see cref="WebSessions.AdminUserName"/>).
    /// </summary>
    public HttpClient Client { get; }

    /// <summary>The admin's token that <see cref="Client"/> sends.</summary>
    public string AdminToken { get; private set; } = "";

    /// <summary>Whether the host's database is the demo (seeded; anyone may sign in as its people).</summary>
    public bool Demo { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    public Uri BaseAddress => Client.BaseAddress!;

    /// <summary>The host's process id (the benchmark reads its CPU time).</summary>
    public int ProcessId => _process.Id;

    /// <param name="environment">Extra settings (environment variables, e.g. <c>Demo__Activity</c>), applied last.</param>
    /// <param name="port">The port to listen on (default: a free one) — e.g. one an OpenID provider was told to redirect to.</param>
    /// <param name="connectionString">The database; null: none is given, so the host starts the embedded PostgreSQL itself.</param>
    public static async Task<WebProcess> StartAsync(string? connectionString, bool seedDemo = true,
        IReadOnlyDictionary<string, string>? environment = null, int? port = null)
    {
        port ??= FreePort();
        var start = new ProcessStartInfo("dotnet", [WebAssembly(), "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.GetDirectoryName(WebAssembly())!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (connectionString is null) start.Environment.Remove("OKRGRID_POSTGRES");
        else start.Environment["OKRGRID_POSTGRES"] = connectionString;
        start.Environment["Cluster__SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        start.Environment["Cluster__GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        start.Environment["Demo__Seed"] = seedDemo ? "true" : "false";
        // A production database starts with this admin (ignored on the demo, whose admin is one of its people).
        start.Environment["Auth__InitialAdmin__UserName"] = WebSessions.AdminUserName;
        start.Environment["Auth__InitialAdmin__Password"] = WebSessions.AdminPassword;
        start.Environment["Auth__InitialAdmin__DisplayName"] = WebSessions.AdminDisplayName;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the web host.");
        var web = new WebProcess(process, new Uri($"http://127.0.0.1:{port}"), seedDemo);
        process.OutputDataReceived += (_, e) => { lock (web._output) web._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (web._output) web._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await web.WaitHealthyAsync();
        await web.AuthorizeClientAsync();
        return web;
    }

    /// <summary>Signs in as the admin (through the sign-in form) and gives <see cref="Client"/> an admin-scope token.</summary>
    public async Task AuthorizeClientAsync()
    {
        AdminToken = await WebSessions.AdminTokenAsync(BaseAddress, Demo);
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
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

    /// <summary>SIGTERM, as a service manager stops it (or Ctrl-C): the host shuts down in order; waits for it to exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(timeout);
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
