using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace OkrGrid.Silo.Storage;

/// <summary>
/// The embedded, private PostgreSQL server of this machine, managed by <c>deploy/pg.sh</c>
/// (see the comments in that script for where the cluster lives).
/// </summary>
public static partial class EmbeddedPostgres
{
    /// <summary>Environment variable with a connection string to use instead of the embedded server.</summary>
    public const string ConnectionStringVariable = "OKRGRID_POSTGRES";

    private const string ScriptRelativePath = "deploy/pg.sh";
    private const string SolutionFile = "OkrGrid.sln";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseName();

    /// <summary>The connection string from <c>OKRGRID_POSTGRES</c>, or null when it is not set.</summary>
    public static string? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>
    /// Starts the embedded server if needed (creating it on first use) and returns the Npgsql connection string
    /// of database <c>okrgrid</c>, or of <paramref name="databaseName"/> (created if missing) when given.
    /// </summary>
    /// <exception cref="InvalidOperationException">pg.sh cannot be found or fails; the message carries its stderr.</exception>
    public static async Task<string> EnsureStartedAsync(string? databaseName, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (databaseName is not null && !DatabaseName().IsMatch(databaseName))
        {
            throw new ArgumentException(
                $"Invalid database name '{databaseName}': use letters, digits, '_' and '-', at most 63, not starting with a digit or '-'.",
                nameof(databaseName));
        }

        var script = LocateScript();
        string[] arguments = databaseName is null ? ["start"] : ["createdb", databaseName];
        LogRunning(logger, script, string.Join(' ', arguments));

        var (exitCode, stdout, stderr) = await RunAsync(script, arguments, ct).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"'bash {script} {string.Join(' ', arguments)}' failed with exit code {exitCode}:{Environment.NewLine}{stderr.TrimEnd()}");
        }

        var connectionString = stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault();
        if (string.IsNullOrEmpty(connectionString) || !connectionString.StartsWith("Host=", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"'bash {script} {string.Join(' ', arguments)}' printed no connection string. stdout:{Environment.NewLine}{stdout}"
                + $"{Environment.NewLine}stderr:{Environment.NewLine}{stderr.TrimEnd()}");
        }

        LogStarted(logger, connectionString);
        return connectionString;
    }

    /// <summary>Whether the embedded server is running now (<c>pg.sh status</c>).</summary>
    public static async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        var (exitCode, _, _) = await RunAsync(LocateScript(), ["status"], ct).ConfigureAwait(false);
        return exitCode == 0;
    }

    /// <summary>Stops the embedded server (<c>pg.sh stop</c>); returns what the script said.</summary>
    public static async Task<string> StopAsync(CancellationToken ct)
    {
        var (exitCode, stdout, stderr) = await RunAsync(LocateScript(), ["stop"], ct).ConfigureAwait(false);
        return exitCode == 0 ? (stdout + stderr).Trim() : throw new InvalidOperationException($"pg.sh stop failed ({exitCode}): {stderr.Trim()}");
    }

    /// <summary>
    /// Finds <c>deploy/pg.sh</c>: first in a checkout (a directory with <c>OkrGrid.sln</c> and <c>deploy/pg.sh</c>)
    /// above <see cref="AppContext.BaseDirectory"/> or the current directory, else the copy in the output folder.
    /// </summary>
    public static string LocateScript()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ScriptRelativePath);
                if (File.Exists(candidate) && (File.Exists(Path.Combine(dir.FullName, SolutionFile)) || File.Exists(Path.Combine(dir.FullName, SolutionFile + "x"))))
                {
                    return candidate;
                }
            }
        }

        var copy = Path.Combine(AppContext.BaseDirectory, ScriptRelativePath);
        if (File.Exists(copy))
        {
            return copy;
        }

        throw new InvalidOperationException(
            $"Cannot find {ScriptRelativePath}: looked for a directory holding {SolutionFile} and {ScriptRelativePath} above " +
            $"'{AppContext.BaseDirectory}' and '{Environment.CurrentDirectory}', and for '{copy}'. " +
            $"Set {ConnectionStringVariable} to use an existing PostgreSQL instead.");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string script, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        startInfo.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Cannot run 'bash {script}': {ex.Message}. The embedded PostgreSQL needs bash (Linux); " +
                $"set {ConnectionStringVariable} to use an existing PostgreSQL instead.", ex);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Only the script itself: a PostgreSQL server it is starting must not be killed with it.
            try { process.Kill(entireProcessTree: false); } catch (InvalidOperationException) { }
            throw;
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting the embedded PostgreSQL: bash {Script} {Arguments}")]
    private static partial void LogRunning(ILogger logger, string script, string arguments);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL is ready: {ConnectionString}")]
    private static partial void LogStarted(ILogger logger, string connectionString);
}
