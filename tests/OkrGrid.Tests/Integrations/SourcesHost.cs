using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OkrGrid.Silo.Storage;
using OkrGrid.Tests.Live;

namespace OkrGrid.Tests.Integrations;

/// <summary>
/// What the data-source tests run against: the real web host on the seeded demo company (so pages can be opened as its
/// people) with private networks allowed (the pull sources here live on loopback), short outbound timeouts and answer
/// limits, a one-second minimum schedule and chatty logs (to prove they carry no secret); a real Kestrel server that
/// plays the HTTP JSON endpoints; and a scratch PostgreSQL database that plays a SQL source's warehouse.
/// </summary>
public sealed class SourcesHost : IAsyncLifetime
{
    public static JsonSerializerOptions Json => DemoHostFixture.Json;

    /// <summary>The largest answer a pull reads (Outbound:MaxResponseBytes on the host).</summary>
    public const int MaxResponseBytes = 64 * 1024;

    /// <summary>How long a pull waits (Outbound:Timeout on the host).</summary>
    public static readonly TimeSpan OutboundTimeout = TimeSpan.FromSeconds(2);

    /// <summary>A push source's burst before it is rate limited (Sources:PushBurst on the host).</summary>
    public const int PushBurst = 30;

    /// <summary>The password of the warehouse's connection string: trust authentication ignores it; no answer or log may show it.</summary>
    public const string WarehousePassword = "warehouse-pw-5c1e7b";

    private string _db = "";
    private readonly Dictionary<string, HttpClient> _people = [];

    public WebProcess Web { get; private set; } = null!;
    public HttpClient Admin => Web.Client;
    public string CycleId { get; private set; } = "";
    public FakeEndpoints Endpoints { get; } = new();
    public string WarehouseConnectionString { get; private set; } = "";
    public string WarehouseWithPassword => new NpgsqlConnectionStringBuilder(WarehouseConnectionString) { Password = WarehousePassword }.ConnectionString;

    public async ValueTask InitializeAsync()
    {
        await Endpoints.StartAsync();
        WarehouseConnectionString = await ScratchDatabases.CreateAsync("srcwh");
        await using (var warehouse = new NpgsqlConnection(WarehouseConnectionString))
        {
            await warehouse.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                create table sales (region text not null, amount numeric not null);
                insert into sales values ('north', 120.5), ('south', 79.5);
                create table notes (id int, body text);
                insert into notes values (1, 'hello');
                """, warehouse);
            await cmd.ExecuteNonQueryAsync();
        }
        _db = await ScratchDatabases.CreateAsync("sources");
        Web = await WebProcess.StartAsync(_db, environment: new Dictionary<string, string>
        {
            ["Outbound__AllowPrivateNetworks"] = "true",
            ["Outbound__Timeout"] = OutboundTimeout.ToString(),
            ["Outbound__MaxResponseBytes"] = MaxResponseBytes.ToString(CultureInfo.InvariantCulture),
            ["Sources__MinimumInterval"] = "00:00:01",
            ["Sources__KeepAliveInterval"] = "00:00:05",
            ["Sources__PushBurst"] = PushBurst.ToString(CultureInfo.InvariantCulture),
            ["Sources__PushesPerSecond"] = "2",
            ["Sources__SqlStatementTimeout"] = "00:00:01",
            ["Logging__LogLevel__Default"] = "Information",
        });
        var org = (await Web.Client.GetFromJsonAsync<OrganisationView>("/api/organisation", Json))!;
        CycleId = org.Cycles.Single().Id;
    }

    /// <summary>A demo person's client (a one-day demo token): "jonas-berg" (member of Growth), "sofia-alvarez" (Growth's lead), "board-observer" (viewer).</summary>
    public async Task<HttpClient> ClientOfAsync(string userId)
    {
        lock (_people) if (_people.TryGetValue(userId, out var known)) return known;
        using var response = await Admin.PostAsJsonAsync("/api/demo/tokens", new { userId }, Json);
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("token").GetString()!;
        var client = WebSessions.WithToken(Web.BaseAddress, token);
        lock (_people) _people[userId] = client;
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _people.Values) client.Dispose();
        if (Web is not null) await Web.DisposeAsync();
        await Endpoints.DisposeAsync();
        if (_db.Length > 0) await ScratchDatabases.DropAsync(_db);
        if (WarehouseConnectionString.Length > 0) await ScratchDatabases.DropAsync(WarehouseConnectionString);
    }
}

[CollectionDefinition(Name)]
public sealed class SourcesCollection : ICollectionFixture<SourcesHost>
{
    public const string Name = "Sources host";
}

/// <summary>
/// A real HTTP server on loopback playing the endpoints pull sources read: each path answers what a test set (status,
/// body, content type, a delay, or an endless-looking body), and every request's Authorization header is kept.
/// </summary>
public sealed class FakeEndpoints : IAsyncDisposable
{
    public sealed record Answer(int Status, string Body, string ContentType = "application/json", TimeSpan Delay = default, int HugeBytes = 0);

    private readonly ConcurrentDictionary<string, Answer> _answers = new();
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Authorization headers received, by path.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<string>> Authorizations { get; } = new();

    /// <summary>Requests served, by path.</summary>
    public ConcurrentDictionary<string, int> Hits { get; } = new();

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    public void Set(string path, Answer answer) => _answers[path] = answer;

    public void Json(string path, string body) => Set(path, new Answer(200, body));

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(async context =>
        {
            var path = context.Request.Path.Value ?? "/";
            Hits.AddOrUpdate(path, 1, (_, n) => n + 1);
            if (context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth)
                Authorizations.GetOrAdd(path, _ => new()).Enqueue(auth);
            if (!_answers.TryGetValue(path, out var answer))
            {
                context.Response.StatusCode = 404;
                return;
            }
            if (answer.Delay > TimeSpan.Zero)
            {
                try { await Task.Delay(answer.Delay, context.RequestAborted); }
                catch (OperationCanceledException) { return; }
            }
            context.Response.StatusCode = answer.Status;
            context.Response.ContentType = answer.ContentType;
            if (answer.HugeBytes > 0)
            {
                // A JSON array far beyond the limit, written in chunks (no Content-Length): the reader must stop.
                var chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("1234567,", 1024)));
                await context.Response.Body.WriteAsync("["u8.ToArray(), context.RequestAborted);
                try
                {
                    for (var written = 0; written < answer.HugeBytes; written += chunk.Length)
                        await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    await context.Response.Body.WriteAsync("0]"u8.ToArray(), context.RequestAborted);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException) { }
                return;
            }
            await context.Response.WriteAsync(answer.Body, context.RequestAborted);
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
