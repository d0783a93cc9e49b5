namespace OkrGrid.Silo.Hosting;

/// <summary>
/// A setting that cannot work, found at start-up. Its message names the setting and what it should be; the hosts
/// print it as one line and exit, rather than a stack trace for an operator to dig through.
/// </summary>
public sealed class OkrGridConfigurationException(string message) : InvalidOperationException(message);

public static class StartupErrors
{
    /// <summary>Exit code of a host that refused to start on its configuration (as sysexits' EX_CONFIG).</summary>
    public const int ConfigurationExitCode = 78;

    /// <summary>
    /// Runs a start-up step; a configuration error ends the process with its message on standard error and
    /// <see cref="ConfigurationExitCode"/>. Anything else is a bug or an outage and keeps its stack trace.
    /// </summary>
    public static async Task GuardAsync(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (OkrGridConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"OkrGrid cannot start: {e.Message}");
            Environment.Exit(ConfigurationExitCode);
        }
    }
}
