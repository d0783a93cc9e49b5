using System.ComponentModel;
using System.Diagnostics;

namespace OkrGrid.Tests.Oidc;

/// <summary>
/// The npm packages of a test tool beside the tests (tests/oidc-provider, tests/js-client): installed with
/// <c>npm ci</c> from its lock file on first use — once across parallel test classes (a semaphore) and test processes
/// (a lock file) — and Node.js itself checked once.
/// </summary>
public static class NodePackages
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static bool _nodeChecked;

    /// <summary>
    /// <c>npm ci</c> unless node_modules is already there and at least as new as package-lock.json. Parallel test
    /// classes wait on a semaphore, other test processes on an exclusive lock on a file beside the package.
    /// </summary>
    public static async Task EnsureInstalledAsync(string directory, string probePackage, CancellationToken cancellationToken)
    {
        if (_nodeChecked && IsInstalled(directory, probePackage)) return;
        await InstallGate.WaitAsync(cancellationToken);
        try
        {
            if (!_nodeChecked) await CheckNodeVersionAsync(cancellationToken);
            _nodeChecked = true;
            if (IsInstalled(directory, probePackage)) return;
            using var fileLock = await LockFileAsync(Path.Combine(directory, ".install.lock"), cancellationToken);
            if (IsInstalled(directory, probePackage)) return; // another process did it while we waited
            var npm = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
            var start = new ProcessStartInfo(npm, ["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["npm_config_update_notifier"] = "false";
            using var process = StartTool(start);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try { await process.WaitForExitAsync(cancellationToken).WaitAsync(InstallTimeout, cancellationToken); }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"npm ci in {directory} took longer than {InstallTimeout.TotalMinutes:0} minutes.");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"npm ci in {directory} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }
        finally { InstallGate.Release(); }
    }

    /// <summary>oidc-provider 9 (and the SignalR client) need Node.js 20 or later (it recommends 22 LTS); Debian 12's own nodejs is 18.</summary>
    private static async Task CheckNodeVersionAsync(CancellationToken cancellationToken)
    {
        using var node = StartTool(new ProcessStartInfo("node", ["--version"]) { RedirectStandardOutput = true });
        var version = (await node.StandardOutput.ReadToEndAsync(cancellationToken)).Trim(); // v20.20.2
        await node.WaitForExitAsync(cancellationToken);
        if (!Version.TryParse(version.TrimStart('v'), out var parsed) || parsed.Major < 20)
            throw new InvalidOperationException($"Node.js {version} is too old for the tests that run Node.js: they need 20 or later.");
    }

    private static bool IsInstalled(string directory, string probePackage)
    {
        // npm ci writes node_modules/.package-lock.json last; older than the lock file means the lock changed since.
        var installed = Path.Combine(directory, "node_modules", ".package-lock.json");
        return File.Exists(Path.Combine(directory, "node_modules", probePackage, "package.json"))
            && File.Exists(installed)
            && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(Path.Combine(directory, "package-lock.json"));
    }

    /// <summary>An exclusive (flock) lock, polled: FileShare.None is enforced across processes.</summary>
    private static async Task<FileStream> LockFileAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + InstallTimeout;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(200, cancellationToken); }
        }
    }

    /// <summary>Starts node or npm, saying what to install when they are not there.</summary>
    public static Process StartTool(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{start.FileName}' was not found: the tests that run Node.js (the OpenID provider, the JavaScript SignalR client) need Node.js 20 or later and npm on PATH " +
                "(Debian 12's nodejs package is 18, too old: take it from nodejs.org or NodeSource).", e);
        }
    }

    /// <summary>A folder of tests/ beside the solution.</summary>
    public static string TestsDirectory(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OkrGrid.sln"))) return Path.Combine(dir.FullName, "tests", name);
        throw new InvalidOperationException("Cannot find the repository root (OkrGrid.sln).");
    }
}
