using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OkrGrid.Engine.Integrations.Webhooks;

/// <summary>Tuning of outbound webhooks and check-in reminders (configuration section "Webhooks").</summary>
public sealed class WebhookOptions
{
    /// <summary>Attempts of one delivery before it becomes a dead letter (a redelivery starts a new round).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The pause after the first failed attempt; it doubles with each further one (with jitter), up to <see cref="RetryMax"/>.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMax { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a claimed delivery belongs to the host that claimed it: if that host dies mid-attempt, another (or the
    /// same, restarted) tries again once this has passed. Longer than the outbound timeout.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an idle dispatcher looks for due deliveries (new ones written on this host wake it at once).</summary>
    public TimeSpan Poll { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Attempts in flight on one host.</summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>Most deliveries of one subscription claimed at once: a burst reaches a receiver in bounded rounds.</summary>
    public int PerWebhookClaim { get; set; } = 20;

    /// <summary>How long node changes are gathered before their transitions are written (one transaction per gathering).</summary>
    public TimeSpan Gather { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How often every open cycle's statuses are compared with the last ones reported (and once shortly after start):
    /// what makes a transition whose change was lost in a crash reach the outbox anyway.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The first sweep, after the start: the cycles have time to activate.</summary>
    public TimeSpan SweepDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the audit trail is read for cycles closed and scenarios applied.</summary>
    public TimeSpan AuditPoll { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often due check-in cadences are looked for.</summary>
    public TimeSpan ReminderPoll { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The company whose organisation the owners' teams come from (the one company a host serves).</summary>
    public string CompanyId { get; set; } = "lumen";
}

/// <summary>
/// The time webhooks and reminders run on: the system's, except in tests that move it. Its own type so that replacing
/// it moves no other clock of the silo (the change feed's timers run on TimeProvider).
/// </summary>
public sealed class WebhookClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;
    public DateTimeOffset UtcNow => Time.GetUtcNow();
}

/// <summary>The events a subscription may ask for, by the names the API and the payloads use.</summary>
public static class WebhookEvents
{
    /// <summary>An objective's or key result's status moved (noData, onTrack, atRisk, offTrack): one per transition.</summary>
    public const string StatusChanged = "status.changed";
    /// <summary>An objective or key result became off track.</summary>
    public const string FellOffTrack = "status.offTrack";
    /// <summary>A KPI's latest measurement fell below its baseline or into the red.</summary>
    public const string KpiDipped = "kpi.dipped";
    public const string CycleClosed = "cycle.closed";
    public const string ScenarioApplied = "scenario.applied";
    /// <summary>A team's check-in cadence came round and an owner's key results have no check-in since the last one.</summary>
    public const string CheckInReminder = "checkIn.reminder";
    /// <summary>Sent on request to one subscription (not subscribable).</summary>
    public const string Ping = "webhook.ping";

    public static readonly ImmutableArray<string> All = [StatusChanged, FellOffTrack, KpiDipped, CycleClosed, ScenarioApplied, CheckInReminder];

    public static bool IsKnown(string name) => All.Contains(name);
}

/// <summary>
/// Signatures in the scheme GitHub and Stripe use: HMAC-SHA256 with the subscription's secret over
/// "{timestamp}.{body}", sent as <c>OkrGrid-Signature: t={unix seconds},v1={hex}</c>. A receiver recomputes it and
/// refuses a timestamp outside its window (replays).
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "OkrGrid-Signature";
    public const string DeliveryHeader = "OkrGrid-Delivery";
    public const string EventHeader = "OkrGrid-Event";

    public static string Sign(string secret, long timestamp, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));
        return Convert.ToHexStringLower(mac);
    }

    public static string Header(string secret, long timestamp, string body) => $"t={timestamp},v1={Sign(secret, timestamp, body)}";

    /// <summary>A new secret: 32 random bytes, prefixed so it is recognisable in a leak scanner.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The payload formats: OkrGrid's JSON, a Slack incoming webhook's message, a Teams (Adaptive Card) message.</summary>
public static class WebhookPayloads
{
    public const string Json = "json";
    public const string Slack = "slack";
    public const string Teams = "teams";
    public static readonly ImmutableArray<string> Formats = [Json, Slack, Teams];

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>The body for one delivery. <paramref name="data"/> is the event's JSON; its "summary" is the human sentence.</summary>
    public static string Body(string format, Guid deliveryId, string kind, DateTimeOffset at, string data)
    {
        var node = JsonNode.Parse(data) as JsonObject ?? [];
        var summary = node["summary"]?.GetValue<string>() ?? kind;
        var body = format switch
        {
            Slack => new JsonObject
            {
                ["text"] = summary,
                ["blocks"] = new JsonArray(
                    new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Escape(summary) } },
                    new JsonObject
                    {
                        ["type"] = "context",
                        ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = $"OkrGrid · {kind} · {at:yyyy-MM-dd HH:mm} UTC" }),
                    }),
            },
            Teams => new JsonObject
            {
                ["type"] = "message",
                ["attachments"] = new JsonArray(new JsonObject
                {
                    ["contentType"] = "application/vnd.microsoft.card.adaptive",
                    ["contentUrl"] = null,
                    ["content"] = new JsonObject
                    {
                        ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                        ["type"] = "AdaptiveCard",
                        ["version"] = "1.4",
                        ["body"] = new JsonArray(
                            new JsonObject { ["type"] = "TextBlock", ["text"] = $"OkrGrid: {kind}", ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true },
                            new JsonObject { ["type"] = "TextBlock", ["text"] = summary, ["wrap"] = true },
                            new JsonObject { ["type"] = "TextBlock", ["text"] = $"{at:yyyy-MM-dd HH:mm} UTC", ["isSubtle"] = true, ["spacing"] = "None" }),
                    },
                }),
            },
            _ => new JsonObject
            {
                ["id"] = deliveryId.ToString(),
                ["event"] = kind,
                ["occurredAt"] = at.ToString("O"),
                ["data"] = node,
            },
        };
        return body.ToJsonString(Options);
    }

    /// <summary>Slack's mrkdwn gives &amp;, &lt; and &gt; meaning: escaped as Slack documents.</summary>
    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
