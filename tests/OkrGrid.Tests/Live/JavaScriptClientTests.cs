using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OkrGrid.Tests.Oidc;

namespace OkrGrid.Tests.Live;

/// <summary>
/// The hub as a browser script reads it: the official <c>@microsoft/signalr</c> npm client on Node.js
/// (tests/js-client), with an API token. Every version it reads is a safe JavaScript integer and grows from one push
/// to the next — .NET ticks, as versions once were, came out of JSON.parse rounded, v and v + 1 equal.
/// </summary>
public sealed class JavaScriptClientTests(DemoHostFixture host) : IClassFixture<DemoHostFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task VersionsReadInJavaScriptAreExactAndGrowThroughABurst()
    {
        var kr = $"{host.CycleId}:platform-migration";
        await using var client = await JsHubClient.StartAsync(host.Web,
        [
            new("SubscribeScorecard", ["company"]), // the current cycle, with one argument as a script calls it
            new("SubscribeNode", [kr]),
        ]);
        Assert.True(client.Calls[0].GetProperty("ok").GetBoolean(), client.Calls[0].ToString());
        Assert.Equal(host.CycleId, client.Calls[0].GetProperty("result").GetProperty("cycleId").GetString());
        var subscribed = client.Calls[1].GetProperty("result").GetProperty("version").GetInt64();

        double value = 0;
        for (var i = 0; i < 25; i++)
        {
            value = 1 + i % 11;
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{kr}/check-ins") { Content = JsonContent.Create(new { value }) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            using var response = await host.Web.Client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        var final = (await host.Web.Client.GetFromJsonAsync<JsonElement>($"/api/key-results/{kr}", Ct)).GetProperty("score").GetProperty("version").GetInt64();
        var changes = await client.WaitAsync(seen => seen.Any(c => c.NodeId == kr && c.Version == final));

        Assert.NotEmpty(changes);
        Assert.All(changes, c => Assert.True(c.Safe, $"{c.NodeId}: version {c.Version} is not a safe JavaScript integer"));
        var mine = changes.Where(c => c.NodeId == kr).ToList();
        Assert.Equal(final, mine[^1].Version);
        Assert.Equal(value, mine[^1].Value);
        Assert.True(mine.All(c => c.Version > subscribed));
        foreach (var node in changes.GroupBy(c => c.NodeId))
        {
            var versions = node.Select(c => c.Version).ToList();
            Assert.True(versions.Zip(versions.Skip(1)).All(p => p.Second > p.First), $"{node.Key}: versions as JavaScript read them do not grow: {string.Join(", ", versions)}");
        }
    }

    [Fact]
    public async Task ARefusedCallTellsTheScriptTheFieldAndWhy()
    {
        await using var client = await JsHubClient.StartAsync(host.Web,
        [
            new("SubscribeScorecard", ["division:x"]),
            new("SubscribeNode", [""]),
            new("SubscribeCycleScorecard", ["company", "2099-q1"]),
        ]);
        Assert.Contains("scope: must be \"company\" or \"team:{teamId}\"", client.Calls[0].GetProperty("error").GetString());
        Assert.Contains("nodeId: is required", client.Calls[1].GetProperty("error").GetString());
        Assert.Contains("cycleId: '2099-q1' does not exist", client.Calls[2].GetProperty("error").GetString());
    }
}

/// <summary>tests/js-client/hub-client.mjs as a child process: its calls' results, then every change it read.</summary>
public sealed class JsHubClient : IAsyncDisposable
{
    public sealed record Call(string Method, object[] Args);
    public sealed record Change(string NodeId, long Version, double? Value, bool Safe);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Change> _changes = [];

    private JsHubClient(Process process) => _process = process;

    public List<JsonElement> Calls { get; } = [];

    /// <summary>What it received so far, as JavaScript read it.</summary>
    public List<Change> Changes { get { lock (_changes) return [.. _changes]; } }

    public static async Task<JsHubClient> StartAsync(WebProcess web, IReadOnlyList<Call> calls)
    {
        var directory = NodePackages.TestsDirectory("js-client");
        await NodePackages.EnsureInstalledAsync(directory, "@microsoft/signalr", TestContext.Current.CancellationToken);
        var start = new ProcessStartInfo("node", ["hub-client.mjs"])
        {
            WorkingDirectory = directory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["OKR_HUB"] = new Uri(web.BaseAddress, "/hubs/scorecard").ToString();
        start.Environment["OKR_TOKEN"] = web.AdminToken;
        start.Environment["OKR_CALLS"] = JsonSerializer.Serialize(calls.Select(c => new { method = c.Method, args = c.Args }));
        var client = new JsHubClient(NodePackages.StartTool(start));
        client._process.OutputDataReceived += (_, e) => client.OnLine(e.Data);
        client._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (client._output) client._output.AppendLine(e.Data); };
        client._process.BeginOutputReadLine();
        client._process.BeginErrorReadLine();
        try { await client._ready.Task.WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (TimeoutException) { throw new InvalidOperationException($"The JavaScript client did not get ready:\n{client.Output}"); }
        return client;
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    private void OnLine(string? line)
    {
        if (line is null) { _ready.TrySetException(new InvalidOperationException($"The JavaScript client exited:\n{Output}")); return; }
        lock (_output) _output.AppendLine(line);
        if (line == "READY") { _ready.TrySetResult(); return; }
        if (!line.StartsWith('{')) return;
        var json = JsonDocument.Parse(line).RootElement.Clone();
        if (json.TryGetProperty("call", out _)) Calls.Add(json);
        else if (json.TryGetProperty("change", out var c))
            lock (_changes)
                _changes.Add(new Change(c.GetProperty("nodeId").GetString()!, c.GetProperty("version").GetInt64(),
                    c.GetProperty("value").ValueKind == JsonValueKind.Number ? c.GetProperty("value").GetDouble() : null, json.GetProperty("safe").GetBoolean()));
        else if (json.TryGetProperty("connect", out _)) _ready.TrySetException(new InvalidOperationException(line));
    }

    /// <summary>Waits until what it received satisfies <paramref name="done"/> (15 s at most), then returns it.</summary>
    public async Task<List<Change>> WaitAsync(Func<List<Change>, bool> done)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline && !done(Changes);) await Task.Delay(100);
        return Changes;
    }

    public async ValueTask DisposeAsync()
    {
        try { await _process.StandardInput.WriteLineAsync("STOP"); _process.StandardInput.Close(); } catch (IOException) { } catch (InvalidOperationException) { }
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try { await _process.WaitForExitAsync(grace.Token); }
        catch (OperationCanceledException) { try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
        _process.Dispose();
    }
}
