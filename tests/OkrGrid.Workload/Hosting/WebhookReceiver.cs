using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OkrGrid.Workload.Hosting;

/// <summary>One request a receiver got: its delivery id, event, body and whether its signature held.</summary>
public sealed record Received(string DeliveryId, string Event, string Body, JsonNode? Json, long Timestamp, DateTimeOffset At, int Answered);

/// <summary>
/// A real webhook receiver: Kestrel on a loopback port, one inbox per path. Each inbox checks signatures with its own
/// code (HMAC-SHA256 over "{t}.{body}" recomputed here, the timestamp within five minutes of now) and refuses bad ones
/// with 401; it can be told to fail the first attempts of each delivery (or all of them) with 500.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Inbox> _inboxes = new();

    public sealed class Inbox
    {
        public string Secret { get; set; } = "";
        /// <summary>How many attempts of each delivery are answered 500 before one is accepted (int.MaxValue: all).</summary>
        public int FailFirst { get; set; }
        public ConcurrentQueue<Received> Accepted { get; } = new();
        public ConcurrentQueue<string> Refused { get; } = new();
        public ConcurrentDictionary<string, int> AttemptsByDelivery { get; } = new();
        /// <summary>Called with each accepted delivery as it is accepted (before the 200 is written): a bench times arrivals.</summary>
        public Action<Received>? OnAccepted { get; set; }

        /// <summary>Distinct delivery ids accepted.</summary>
        public IReadOnlyCollection<string> DeliveryIds => Accepted.Select(r => r.DeliveryId).Distinct().ToList();
    }

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/{name}", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseAddress = new Uri(address);
        return receiver;
    }

    public Inbox this[string name] => _inboxes.GetOrAdd(name, _ => new Inbox());

    public string Url(string name) => new Uri(BaseAddress, $"/hooks/{name}").ToString();

    private async Task<IResult> HandleAsync(string name, HttpContext context)
    {
        var inbox = this[name];
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var delivery = context.Request.Headers["OkrGrid-Delivery"].ToString();
        var kind = context.Request.Headers["OkrGrid-Event"].ToString();
        var signature = context.Request.Headers["OkrGrid-Signature"].ToString();
        if (Verify(inbox.Secret, signature, body, DateTimeOffset.UtcNow) is not { } timestamp)
        {
            inbox.Refused.Enqueue($"{delivery}: bad signature '{signature}'");
            return Results.StatusCode(401);
        }
        var attempt = inbox.AttemptsByDelivery.AddOrUpdate(delivery, 1, (_, n) => n + 1);
        if (attempt <= inbox.FailFirst) return Results.StatusCode((int)HttpStatusCode.InternalServerError);
        JsonNode? json = null;
        try { json = JsonNode.Parse(body); } catch (System.Text.Json.JsonException) { }
        var received = new Received(delivery, kind, body, json, timestamp, DateTimeOffset.UtcNow, 200);
        inbox.Accepted.Enqueue(received);
        inbox.OnAccepted?.Invoke(received);
        return Results.Ok();
    }

    /// <summary>The receiver's own check: "t=…,v1=…", the HMAC recomputed and compared in constant time, t within the window.</summary>
    public static long? Verify(string secret, string header, string body, DateTimeOffset now)
    {
        long? t = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(','))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2) continue;
            if (kv[0] == "t" && long.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ts)) t = ts;
            else if (kv[0] == "v1") signatures.Add(kv[1]);
        }
        if (t is null || secret.Length == 0) return null;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(t.Value)).Duration() > Window) return null;
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var expected = hmac.ComputeHash(Encoding.UTF8.GetBytes($"{t.Value}.{body}"));
        foreach (var s in signatures)
        {
            byte[] given;
            try { given = Convert.FromHexString(s); } catch (FormatException) { continue; }
            if (CryptographicOperations.FixedTimeEquals(given, expected)) return t;
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
