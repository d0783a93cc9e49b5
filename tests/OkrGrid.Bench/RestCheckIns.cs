using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace OkrGrid.Bench;

/// <summary>How one POST of a check-in ended, with the moment its response arrived (Stopwatch ticks).</summary>
public readonly record struct RestOutcome(bool Acknowledged, long RespondedAt);

/// <summary>
/// Check-ins as users' clients send them: <c>POST /api/key-results/{id}/check-ins</c> with an Idempotency-Key, over
/// HTTP/1.1 keep-alive connections pooled by one <see cref="SocketsHttpHandler"/>. Only a 201 is an acknowledgement
/// (it goes into the ledger); anything else — a 200 "already applied", a non-2xx, a timeout, a broken connection —
/// is tallied by kind as an error. Requests are built by hand: the load generator shares the cores with the host,
/// so it should spend as little of them as it can.
/// </summary>
public sealed class RestCheckIns : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _authorization;

    /// <summary>Whether requests carry the bearer token (the default) or nothing (the host's anonymous access: the baseline).</summary>
    public bool WithToken { get; set; } = true;
    private readonly Ledger _ledger;
    private readonly Dictionary<string, Uri> _uris;
    private readonly ConcurrentDictionary<string, long> _errors = new();
    private readonly ConcurrentQueue<(string KeyResult, string EntryId, double Value)> _acknowledged = new();

    /// <param name="token">The bearer token requests carry while <see cref="WithToken"/> is on.</param>
    public RestCheckIns(Uri baseAddress, SyntheticOrg org, Ledger ledger, int maxConnections, string token)
    {
        _authorization = $"Bearer {token}";
        _ledger = ledger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _uris = org.KeyResults.ToDictionary(k => k.Id, k => new Uri(baseAddress, $"/api/key-results/{Uri.EscapeDataString(k.Id)}/check-ins"));
    }

    /// <summary>Errors by kind ("HTTP 500", "200 not applied", "TaskCanceledException", …).</summary>
    public IReadOnlyDictionary<string, long> Errors => _errors;

    public long ErrorCount => _errors.Values.Sum();

    /// <summary>Every acknowledged check-in: it must be in the journal afterwards.</summary>
    public IReadOnlyCollection<(string KeyResult, string EntryId, double Value)> Acknowledged => _acknowledged;

    /// <summary>Sends one check-in with a fresh ledger stamp (its time and idempotency key) and records the outcome.</summary>
    public async Task<RestOutcome> SendAsync(PlannedCheckIn plan, string? traceId = null)
    {
        var (stamp, at) = _ledger.NextStamp();
        var entryId = string.Create(CultureInfo.InvariantCulture, $"w{stamp}");
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"value\":{plan.Value:R},\"confidence\":{Number(plan.Confidence)},\"note\":\"\",\"at\":\"{at:O}\",\"traceId\":{Text(traceId)}}}"));
        using var request = new HttpRequestMessage(HttpMethod.Post, _uris[plan.KeyResult.Id]) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", entryId);
        if (WithToken) request.Headers.TryAddWithoutValidation("Authorization", _authorization);
        try
        {
            using var response = await _http.SendAsync(request);
            var respondedAt = Stopwatch.GetTimestamp();
            if (response.StatusCode == HttpStatusCode.Created)
            {
                _ledger.CheckInAcknowledged(plan.KeyResult.Id, stamp, plan.Value, plan.Confidence);
                _acknowledged.Enqueue((plan.KeyResult.Id, entryId, plan.Value));
                return new RestOutcome(true, respondedAt);
            }
            // Keys are never reused, so a 200 ("applied before") is as wrong as a 4xx or 5xx.
            Tally(response.StatusCode == HttpStatusCode.OK ? "200 not applied" : $"HTTP {(int)response.StatusCode}");
            return new RestOutcome(false, respondedAt);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            Tally(e.GetType().Name);
            return new RestOutcome(false, Stopwatch.GetTimestamp());
        }
    }

    private void Tally(string kind) => _errors.AddOrUpdate(kind, 1, (_, n) => n + 1);

    private static string Number(double? d) => d is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "null";

    private static string Text(string? s) => s is null ? "null" : $"\"{s}\"";

    public void Dispose() => _http.Dispose();
}
