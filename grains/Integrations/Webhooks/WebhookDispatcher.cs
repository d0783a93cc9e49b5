using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace OkrGrid.Engine.Integrations.Webhooks;

/// <summary>
/// Delivers the outbox: claims due deliveries (FOR UPDATE SKIP LOCKED, so hosts never claim the same one), leases them
/// (a host that dies mid-attempt leaves a lease that runs out, and the delivery is tried again — at least once, with
/// the same delivery id), posts each signed body through <see cref="OutboundHttp"/> and records the attempt. A failure
/// is retried after an exponential pause with jitter; after <see cref="WebhookOptions.MaxAttempts"/> it is a dead letter.
/// Outcomes are recorded in batches by one writer: an attempt's slot is free as soon as the receiver has answered, so
/// the rate of deliveries is not that of single-row commits (figure 14 found deliveries queueing for a second behind
/// them under check-in load). A delivery whose outcome was not yet recorded when its host died keeps its lease and
/// goes again — at least once, with the same id.
/// </summary>
public sealed class WebhookDispatcher : BackgroundService
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly OutboundHttp _http;
    private readonly WebhookClock _clock;
    private readonly TimeProvider _wallClock;
    private readonly WebhookOptions _options;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _slots;
    private readonly Channel<Outcome> _outcomes = Channel.CreateUnbounded<Outcome>(new() { SingleReader = true });
    /// <summary>Most outcomes written by one statement.</summary>
    private const int MaxRecordBatch = 500;

    public WebhookDispatcher(NpgsqlDataSource dataSource, OutboundHttp http, WebhookClock clock, TimeProvider wallClock, WebhookOutbox outbox,
        IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> logger)
    {
        _wallClock = wallClock;
        _dataSource = dataSource;
        _http = http;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
        _slots = new SemaphoreSlim(Math.Max(1, _options.Concurrency));
        outbox.Written += Wake;
    }

    /// <summary>Looks for due deliveries now rather than at the next poll.</summary>
    public void Wake()
    {
        try { if (_wake.CurrentCount == 0) _wake.Release(); }
        catch (SemaphoreFullException) { }
    }

    /// <summary>What one attempt came to, waiting to be recorded.</summary>
    private sealed record Outcome(Guid Id, int Attempt, string State, DateTimeOffset Next, DateTimeOffset At, int? Status, string? Error, int Milliseconds);

    private sealed record Claimed(Guid Id, int Attempt, int RoundStart, string WebhookId, string Url, string Secret, string Format,
        string Kind, DateTimeOffset At, string Data);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var recorder = Task.Run(RecordLoopAsync, CancellationToken.None);
        try { await DeliverLoopAsync(stoppingToken); }
        finally
        {
            // What finished is recorded before the host goes (not bound to the stopping token: a few rows).
            _outcomes.Writer.TryComplete();
            await recorder.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task DeliverLoopAsync(CancellationToken stoppingToken)
    {
        var inFlight = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                var free = _slots.CurrentCount;
                if (free > 0)
                {
                    foreach (var d in await ClaimAsync(free, stoppingToken))
                    {
                        claimed++;
                        await _slots.WaitAsync(stoppingToken);
                        inFlight.Add(Task.Run(async () =>
                        {
                            try { await AttemptAsync(d, stoppingToken); }
                            finally { _slots.Release(); Wake(); }
                        }, CancellationToken.None));
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                _logger.DeliveriesNotClaimed(ex.Message);
            }
            inFlight.RemoveAll(t => t.IsCompleted);
            if (claimed > 0 && _slots.CurrentCount > 0) continue; // more may be due
            try { await _wake.WaitAsync(_options.Poll, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
        // What is in flight finishes or is left to its lease.
        await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task<List<Claimed>> ClaimAsync(int max, CancellationToken ct)
    {
        var now = _clock.UtcNow;
        await using var cmd = _dataSource.CreateCommand("""
            with due as (
                select d.id from okr_webhook_deliveries d
                where d.id in (select id from (select id, row_number() over (partition by webhook_id order by next_at) as rn
                                               from okr_webhook_deliveries where state = 'pending' and next_at <= @now) x
                               where rn <= @perHook)
                order by d.next_at limit @max
                for update skip locked
            )
            update okr_webhook_deliveries d set attempts = d.attempts + 1, next_at = @lease
            from due, okr_webhooks w, okr_webhook_events e
            where d.id = due.id and w.id = d.webhook_id and e.id = d.event_id
            returning d.id, d.attempts, d.round_start, w.id, w.url, w.secret, w.format, e.kind, e.at, e.data::text
            """);
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now.UtcDateTime });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime>("lease", NpgsqlDbType.TimestampTz) { TypedValue = (now + _options.Lease).UtcDateTime });
        cmd.Parameters.Add(new NpgsqlParameter<int>("max", NpgsqlDbType.Integer) { TypedValue = max });
        cmd.Parameters.Add(new NpgsqlParameter<int>("perHook", NpgsqlDbType.Integer) { TypedValue = Math.Max(1, _options.PerWebhookClaim) });
        var result = new List<Claimed>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            result.Add(new Claimed(reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetString(7), new DateTimeOffset(reader.GetFieldValue<DateTime>(8), TimeSpan.Zero),
                reader.GetString(9)));
        return result;
    }

    private async Task AttemptAsync(Claimed d, CancellationToken ct)
    {
        int? status = null;
        string? error = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var body = WebhookPayloads.Body(d.Format, d.Id, d.Kind, d.At, d.Data);
            // The signature's timestamp is the wall clock's: a receiver compares it with its own to refuse replays (the
            // schedule's clock, which tests move, says when to send, not what time it is at the receiver).
            var timestamp = _wallClock.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, d.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Header(d.Secret, timestamp, body));
            request.Headers.Add(WebhookSignature.DeliveryHeader, d.Id.ToString());
            request.Headers.Add(WebhookSignature.EventHeader, d.Kind);
            using var response = await _http.Client.SendAsync(request, ct);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode) error = $"the receiver answered {status} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return; // shutting down: the lease runs out and the delivery is tried again
        }
        catch (Exception ex)
        {
            error = OutboundHttp.Describe(ex);
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        var now = _clock.UtcNow;
        var ok = error is null;
        var dead = !ok && d.Attempt - d.RoundStart >= _options.MaxAttempts;
        var next = ok || dead ? now : now + Backoff(d.Attempt - d.RoundStart);
        if (!ok && _logger.IsEnabled(LogLevel.Information))
            _logger.DeliveryFailed(d.WebhookId, d.Id, d.Attempt, error, dead ? "; it is a dead letter now" : $"; next at {next:O}");
        _outcomes.Writer.TryWrite(new Outcome(d.Id, d.Attempt, ok ? "delivered" : dead ? "dead" : "pending", next, now, status, Truncate(error),
            (int)Math.Min(int.MaxValue, elapsed.TotalMilliseconds)));
    }

    /// <summary>Exponential with "equal jitter": between half and all of base × 2^(n−1), capped.</summary>
    public TimeSpan Backoff(int failedAttempts)
    {
        var exp = Math.Min(30, Math.Max(0, failedAttempts - 1));
        var full = Math.Min(_options.RetryMax.TotalMilliseconds, _options.RetryBase.TotalMilliseconds * Math.Pow(2, exp));
        return TimeSpan.FromMilliseconds(full / 2 + Random.Shared.NextDouble() * full / 2);
    }

    /// <summary>Records outcomes as they come, all that are waiting in one statement.</summary>
    private async Task RecordLoopAsync()
    {
        var reader = _outcomes.Reader;
        var batch = new List<Outcome>(MaxRecordBatch);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxRecordBatch && reader.TryRead(out var o)) batch.Add(o);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await RecordAsync(batch);
                    break;
                }
                catch (Exception ex) when (attempt < 3)
                {
                    _logger.OutcomesNotRecordedRetrying(batch.Count, ex.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                }
                catch (Exception ex)
                {
                    // Not recorded: their leases run out and the deliveries go again (at least once).
                    _logger.OutcomesNotRecordedLater(batch.Count, ex.Message);
                    break;
                }
            }
            batch.Clear();
        }
    }

    private async Task RecordAsync(List<Outcome> batch)
    {
        await using var cmd = _dataSource.CreateCommand("""
            with o as (
                select * from unnest(@ids, @attempts, @states, @nexts, @ats, @statuses, @ms, @errors)
                    as o(id, attempt, state, next_at, at, status, ms, error)
            ), a as (
                insert into okr_webhook_attempts (delivery_id, attempt, at, status, duration_ms, error)
                select id, attempt, at, status, ms, error from o
                on conflict do nothing
            )
            update okr_webhook_deliveries d set state = o.state, next_at = o.next_at, last_status = o.status, last_error = o.error,
                finished_at = case when o.state = 'pending' then null else o.at end
            from o
            where d.id = o.id and d.attempts = o.attempt and d.state = 'pending'
            """);
        cmd.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = [.. batch.Select(o => o.Id)] });
        cmd.Parameters.Add(new NpgsqlParameter<int[]>("attempts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. batch.Select(o => o.Attempt)] });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("states", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. batch.Select(o => o.State)] });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime[]>("nexts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. batch.Select(o => o.Next.UtcDateTime)] });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime[]>("ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. batch.Select(o => o.At.UtcDateTime)] });
        cmd.Parameters.Add(new NpgsqlParameter<int?[]>("statuses", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. batch.Select(o => o.Status)] });
        cmd.Parameters.Add(new NpgsqlParameter<int[]>("ms", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. batch.Select(o => o.Milliseconds)] });
        cmd.Parameters.Add(new NpgsqlParameter<string?[]>("errors", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. batch.Select(o => o.Error)] });
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private static string? Truncate(string? text) => text is { Length: > 500 } ? text[..500] : text;
}
