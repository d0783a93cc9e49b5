using System.Diagnostics;
using System.Net;
using System.Text;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Operations;

/// <summary>
/// What the image runs, without the image (no Docker engine here): the web host published as the Dockerfile publishes
/// it (Release, framework-dependent, no app host) starts from its publish folder as a process, as a production host
/// (a given database, no demo), answers /healthz/live and /healthz/ready and serves /metrics to the scrape token, and
/// stops in order on SIGTERM within the shutdown timeout the image sets.
/// </summary>
[Collection(PublishCollection.Name)]
public sealed class PublishedHostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string ScrapeToken = "published-scrape-token-0123456789abcdef012345";

    [Fact]
    public async Task ThePublishOutputRunsAndAnswersItsProbes()
    {
        var root = RepositoryRoot();
        var output = Directory.CreateTempSubdirectory("okrgrid-publish-").FullName;
        var database = await ScratchDatabases.CreateAsync("publish");
        try
        {
            var (code, log) = await RunAsync("dotnet", ["publish", Path.Combine(root, "web", "OkrGrid.Web.csproj"), "-c", "Release", "-o", output, "-p:UseAppHost=false", "--nologo"],
                root, new(), TimeSpan.FromMinutes(8));
            Assert.True(code == 0, $"dotnet publish failed ({code}):\n{log}");
            Assert.True(File.Exists(Path.Combine(output, "OkrGrid.Web.dll")));
            // The schema travels inside the silo assembly, not as files beside it.
            Assert.Empty(Directory.GetFiles(output, "*.sql", SearchOption.AllDirectories));

            var port = WebProcess.FreePort();
            var start = new ProcessStartInfo("dotnet", [Path.Combine(output, "OkrGrid.Web.dll")])
            {
                WorkingDirectory = output, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            // As the image and the manifests configure it.
            start.Environment["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment.Remove("ASPNETCORE_URLS");
            start.Environment["DOTNET_shutdownTimeoutSeconds"] = "60";
            start.Environment["OKRGRID_POSTGRES"] = database;
            start.Environment["Cluster__SiloPort"] = WebProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["Cluster__GatewayPort"] = WebProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["Auth__InitialAdmin__UserName"] = "admin";
            start.Environment["Auth__InitialAdmin__Password"] = "Published-admin-1";
            start.Environment["Telemetry__ScrapeToken"] = ScrapeToken;
            start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
            start.Environment.Remove("DOTNET_ENVIRONMENT");
            using var process = Process.Start(start)!;
            var hostLog = new StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (hostLog) hostLog.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (hostLog) hostLog.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
                Assert.Equal(HttpStatusCode.OK, await WaitForAsync(client, "/healthz/live", process, hostLog));
                Assert.Equal(HttpStatusCode.OK, await WaitForAsync(client, "/healthz/ready", process, hostLog));
                using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics");
                scrape.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ScrapeToken);
                using var metrics = await client.SendAsync(scrape, Ct);
                Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
                Assert.Contains("orleans_", await metrics.Content.ReadAsStringAsync(Ct));

                // SIGTERM, as Kubernetes or docker stop sends it: the host stops in order, well within its timeout.
                var stopping = Stopwatch.StartNew();
                using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync(Ct);
                await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
                Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode} after SIGTERM:\n{hostLog}");
                TestContext.Current.SendDiagnosticMessage($"Published host stopped {stopping.Elapsed.TotalSeconds:F1} s after SIGTERM.");
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            await ScratchDatabases.DropAsync(database);
            try { Directory.Delete(output, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<HttpStatusCode> WaitForAsync(HttpClient client, string path, Process process, StringBuilder log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        HttpStatusCode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) Assert.Fail($"The published host exited ({process.ExitCode}):\n{log}");
            try
            {
                using var response = await client.GetAsync(path, Ct);
                last = response.StatusCode;
                if (response.StatusCode == HttpStatusCode.OK) return last.Value;
            }
            catch (HttpRequestException) { }
            await Task.Delay(250, Ct);
        }
        Assert.Fail($"{path} answered {last?.ToString() ?? "nothing"} for 90 s:\n{log}");
        return default;
    }

    private static async Task<(int Code, string Log)> RunAsync(string file, string[] args, string directory, Dictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        try { await process.WaitForExitAsync(Ct).WaitAsync(timeout, Ct); }
        catch (TimeoutException) { process.Kill(entireProcessTree: true); throw; }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OkrGrid.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (OkrGrid.sln).");
    }
}

/// <summary>
/// A Release build and publish takes both cores for a minute or more: run alone, after the parallel tests, so that it
/// does not stretch their timings.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PublishCollection
{
    public const string Name = "Publish (alone)";
}
