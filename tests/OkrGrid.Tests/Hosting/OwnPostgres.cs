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
    public async Task<int> PgAsync(string command)
    {
        var start = new ProcessStartInfo("bash", [EmbeddedPostgres.LocateScript(), command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OKRGRID_DATA_DIR"] = DataDir;
        using var process = Process.Start(start)!;
        await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await PgAsync("destroy");
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
