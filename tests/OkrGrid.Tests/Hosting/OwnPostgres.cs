using System.Diagnostics;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Hosting;

/// <summary>
/// An embedded PostgreSQL of a test's own (its own OKRGRID_DATA_DIR), for tests that start, stop or destroy it —
/// never the suite's shared one.
/// </summary>
public sealed class OwnPostgres : IAsyncDisposable
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("okrgrid-pg-").FullName;

    /// <summary>Settings for a web host that is to use (or start) this PostgreSQL itself.</summary>
    public Dictionary<string, string> HostSettings => new() { ["OKRGRID_DATA_DIR"] = DataDir };

    /// <summary>Runs <c>deploy/pg.sh</c> on it; returns the exit code (status: 0 running, 3 stopped).</summary>
    public async Task<int> PgAsync(params string[] command)
    {
        var start = new ProcessStartInfo("bash", [EmbeddedPostgres.LocateScript(), .. command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OKRGRID_DATA_DIR"] = DataDir;
        using var process = Process.Start(start)!;
        await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    /// <summary>The connection string of a database in it (pg.sh url).</summary>
    public async Task<string> UrlAsync(string database)
    {
        var start = new ProcessStartInfo("bash", [EmbeddedPostgres.LocateScript(), "url", database]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OKRGRID_DATA_DIR"] = DataDir;
        using var process = Process.Start(start)!;
        var url = await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? url.Trim() : throw new InvalidOperationException($"pg.sh url {database} failed ({process.ExitCode}).");
    }

    /// <summary>
    /// kill -9 of the server and every backend, as a container or a machine dies (a stopped postmaster alone would leave
    /// its backends holding the shared memory); the next start recovers from the write-ahead log.
    /// </summary>
    public async Task KillAsync()
    {
        var pidFile = Directory.EnumerateFiles(DataDir, "postmaster.pid", SearchOption.AllDirectories).Single();
        var postmaster = int.Parse((await File.ReadAllLinesAsync(pidFile))[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var kill = Process.Start(new ProcessStartInfo("bash", ["-c", $"pkill -9 -P {postmaster}; kill -9 {postmaster}"]))!;
        await kill.WaitForExitAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && ProcessAlive(postmaster)) await Task.Delay(50);
    }

    private static bool ProcessAlive(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        await PgAsync("destroy");
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
