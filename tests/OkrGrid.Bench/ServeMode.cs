using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace OkrGrid.Bench;

/// <summary>
/// The bench as a child process (<c>--serve CS --gateway-port P --silo-port S</c>): one engine silo on the given
/// ports, so that the parent can time a real process start and kill it with SIGKILL. The engine's fixed "now"
/// comes in through <see cref="NowVariable"/>, so the parent's reference uses exactly the same clock.
/// </summary>
public static class ServeMode
{
    public const string NowVariable = "OKRGRID_BENCH_NOW";
    public const string ReadyLine = "READY";

    public static async Task RunAsync(BenchOptions options)
    {
        var connectionString = options.ServeConnectionString ?? throw new ArgumentException("--serve needs a connection string.");
        if (options.ServeGatewayPort == 0 || options.ServeSiloPort == 0)
            throw new ArgumentException("--serve needs --gateway-port and --silo-port: the parent connects to them.");
        var raw = Environment.GetEnvironmentVariable(NowVariable)
            ?? throw new InvalidOperationException($"{NowVariable} is not set: the engine's clock must be the parent's.");
        var now = DateTimeOffset.Parse(raw, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

        await using var engine = await EngineHost.StartAsync(connectionString, new FixedClock(now), options.ServeSiloPort, options.ServeGatewayPort);
        Console.Out.WriteLine(ReadyLine);
        Console.Out.Flush();
        // The parent holds our stdin: end of input means it is done with us — or died — so we stop then and never
        // outlive it. A kill -9 ends us without any of this running, which is the point of the recovery figure.
        await Task.Factory.StartNew(() =>
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (stdin.Read(buffer) > 0) { }
        }, TaskCreationOptions.LongRunning);
    }
}

/// <summary>
/// The parent's handle on a <see cref="ServeMode"/> child: the process, fresh ports and an Orleans client connected
/// to its gateway. Disposing closes the child's stdin (a clean stop) and kills it if it does not exit.
/// </summary>
public sealed class ServeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromMinutes(5);
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _output = new();
    private IHost? _client;

    private ServeProcess(Process process, int gatewayPort)
    {
        _process = process;
        GatewayPort = gatewayPort;
    }

    public int GatewayPort { get; }

    public IClusterClient Client => _client?.Services.GetRequiredService<IClusterClient>()
        ?? throw new InvalidOperationException("Not connected yet: call ConnectAsync.");

    /// <summary>Starts <c>dotnet OkrGrid.Bench.dll --serve …</c> with the engine's clock fixed at <paramref name="now"/>.</summary>
    public static ServeProcess Start(string connectionString, DateTimeOffset now)
    {
        int gatewayPort = EngineHost.FreePort(), siloPort = EngineHost.FreePort();
        // Under "dotnet run" this process is the apphost, not dotnet: ask for dotnet by name then.
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { typeof(ServeMode).Assembly.Location, "--serve", connectionString,
                     "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture), "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        info.Environment[ServeMode.NowVariable] = now.ToString("O", CultureInfo.InvariantCulture);
        // No file watcher over the working directory (the host's reload-on-change): a checkout being built would
        // cost the child CPU in the middle of the figures.
        info.Environment["DOTNET_hostBuilder__reloadConfigOnChange"] = "false";

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ServeProcess(process, gatewayPort);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == ServeMode.ReadyLine) child._ready.TrySetResult();
            else child.Keep(e.Data);
        };
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.Exited += (_, _) => child._ready.TrySetException(
            new InvalidOperationException($"The serving child exited before it was ready. Its last output:\n{child.Tail}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last lines the child printed (its own log, at warning level and above), for error messages.</summary>
    public string Tail => string.Join('\n', _output);

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > 40) _output.TryDequeue(out _);
    }

    /// <summary>Waits for READY, then connects a client, retrying while the gateway is not yet accepting.</summary>
    public async Task ConnectAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        await _ready.Task.WaitAsync(timeout);
        while (true)
        {
            var builder = Host.CreateApplicationBuilder();
            // The client's own complaints (a gateway that went away after the kill) are expected here.
            builder.Logging.SetMinimumLevel(LogLevel.Critical);
            builder.UseOrleansClient(c => c
                .UseLocalhostClustering(GatewayPort, EngineHost.ServiceId, EngineHost.ServiceId)
                // The first snapshot of a cold silo activates every node and may outlast the default 30 s; a retry
                // would only start a second pass beside the first and blur the timing.
                .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout));
            var host = builder.Build();
            try
            {
                await host.StartAsync();
                _client = host;
                return;
            }
            catch (Exception) when (Stopwatch.GetTimestamp() < deadline && !_process.HasExited)
            {
                host.Dispose();
                await Task.Delay(100);
            }
        }
    }

    /// <summary>SIGKILL (kill -9): no shutdown code runs in the child; returns once it is gone.</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            // Bounded: after a kill the client may wait for a gateway that will not answer.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _client.StopAsync(stopping.Token); } catch (Exception) { }
            _client.Dispose();
            _client = null;
        }
        if (!_process.HasExited)
        {
            try { _process.StandardInput.Close(); } catch (IOException) { }
            using var waiting = new CancellationTokenSource(StopTimeout);
            try { await _process.WaitForExitAsync(waiting.Token); }
            catch (OperationCanceledException) { Kill(); }
        }
        _process.Dispose();
    }
}
