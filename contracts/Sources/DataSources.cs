using System.Buffers;
using OkrGrid.Access;
using OkrGrid.Model;

namespace OkrGrid.Sources;

/// <summary>How a source gets its numbers: pushed to its ingest URL, or pulled from an HTTP JSON endpoint or a SQL query.</summary>
[Alias("okr.sources.source-kind")]
public enum SourceKind { Push, Http, Sql }

/// <summary>What a source feeds: a key result (check-ins) or a KPI (measurements).</summary>
[Alias("okr.sources.source-node-kind")]
public enum SourceNodeKind { KeyResult, Kpi }

/// <summary>
/// A new source as the API hands it to its grain. Secrets (<see cref="AuthHeaderValue"/>, <see cref="ConnectionString"/>)
/// go in here once and never come back out. <see cref="CompanyId"/> is the company of a KPI (a key result's comes with
/// its cycle).
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.sources.source-draft")]
public sealed record SourceDraft(
    [property: Id(0)] string NodeId,
    [property: Id(1)] SourceNodeKind NodeKind,
    [property: Id(2)] string Name,
    [property: Id(3)] SourceKind Kind,
    [property: Id(4)] int? IntervalSeconds = null,
    [property: Id(5)] string? Url = null,
    [property: Id(6)] string? JsonPath = null,
    [property: Id(7)] string? AuthHeaderName = null,
    [property: Id(8)] string? AuthHeaderValue = null,
    [property: Id(9)] string? ConnectionString = null,
    [property: Id(10)] string? Query = null,
    [property: Id(11)] string CompanyId = "");

/// <summary>An edit of a source; a field left out (null) stays. <see cref="RemoveAuthHeader"/> drops an HTTP source's header.</summary>
[GenerateSerializer, Immutable, Alias("okr.sources.source-edit")]
public sealed record SourceEdit(
    [property: Id(0)] string? Name = null,
    [property: Id(1)] int? IntervalSeconds = null,
    [property: Id(2)] string? Url = null,
    [property: Id(3)] string? JsonPath = null,
    [property: Id(4)] string? AuthHeaderName = null,
    [property: Id(5)] string? AuthHeaderValue = null,
    [property: Id(6)] bool RemoveAuthHeader = false,
    [property: Id(7)] string? ConnectionString = null,
    [property: Id(8)] string? Query = null);

/// <summary>
/// What the last attempts of a source gave. <see cref="FailingSince"/> is the first failure after the last success
/// (null: not failing); a failing pull writes no check-in, so the key result keeps its last good value and says so.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.sources.source-status")]
public sealed record SourceStatus(
    [property: Id(0)] double? LastValue,
    [property: Id(1)] DateTimeOffset? LastValueAt,
    [property: Id(2)] DateTimeOffset? LastAttemptAt,
    [property: Id(3)] DateTimeOffset? LastSuccessAt,
    [property: Id(4)] DateTimeOffset? FailingSince,
    [property: Id(5)] string? LastError,
    [property: Id(6)] int ConsecutiveFailures,
    [property: Id(7)] DateTimeOffset? NextPollAt)
{
    public static SourceStatus None { get; } = new(null, null, null, null, null, null, 0, null);
    public bool Failing => FailingSince is not null;
}

/// <summary>
/// A source as anyone who may read it sees it: never a secret. Where it reads from (<see cref="Url"/>,
/// <see cref="JsonPath"/>, <see cref="AuthHeaderName"/>, <see cref="SqlTarget"/>, <see cref="Query"/>) is shown only to
/// those who may manage it (<see cref="CanManage"/>); the others see that it exists, its kind, schedule and status.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.sources.source-view")]
public sealed record SourceView(
    [property: Id(0)] string Id,
    [property: Id(1)] string NodeId,
    [property: Id(2)] SourceNodeKind NodeKind,
    [property: Id(3)] string Name,
    [property: Id(4)] SourceKind Kind,
    [property: Id(5)] int? IntervalSeconds,
    [property: Id(6)] SourceStatus Status,
    [property: Id(7)] DateTimeOffset CreatedAt,
    [property: Id(8)] string CreatedBy,
    [property: Id(9)] bool CanManage,
    [property: Id(10)] string? IngestPath = null,
    [property: Id(11)] bool? HasToken = null,
    [property: Id(12)] string? Url = null,
    [property: Id(13)] string? JsonPath = null,
    [property: Id(14)] string? AuthHeaderName = null,
    [property: Id(15)] bool? HasAuthHeader = null,
    [property: Id(16)] string? SqlTarget = null,
    [property: Id(17)] string? Query = null);

/// <summary>A source just made (or its token just rotated): the view and, this once, the ingest token of a push source.</summary>
[GenerateSerializer, Immutable, Alias("okr.sources.source-created")]
public sealed record SourceCreated(
    [property: Id(0)] SourceView Source,
    [property: Id(1)] string? Token);

/// <summary>What one fetch gave ("test now" writes nothing): the number, or why there is none.</summary>
[GenerateSerializer, Immutable, Alias("okr.sources.source-fetch")]
public sealed record SourceFetch(
    [property: Id(0)] bool Ok,
    [property: Id(1)] double? Value,
    [property: Id(2)] string? Error,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] double Milliseconds);

/// <summary>
/// A value pushed to a source's ingest URL. The token is checked against the stored hash by the grain (constant
/// time); <see cref="EntryId"/> makes a retry apply once.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.sources.source-push")]
public sealed record SourcePush(
    [property: Id(0)] string Token,
    [property: Id(1)] double Value,
    [property: Id(2)] DateTimeOffset? At = null,
    [property: Id(3)] string? EntryId = null,
    [property: Id(4)] string Note = "");

[Alias("okr.sources.push-outcome")]
public enum PushOutcome { Applied, Replayed, Unauthorized, RateLimited }

[GenerateSerializer, Immutable, Alias("okr.sources.push-result")]
public sealed record PushResult(
    [property: Id(0)] PushOutcome Outcome,
    [property: Id(1)] string? NodeId = null,
    [property: Id(2)] double? Value = null,
    [property: Id(3)] DateTimeOffset? At = null,
    [property: Id(4)] TimeSpan? RetryAfter = null);

/// <summary>The audit actions of sources (stable strings).</summary>
public static class SourceAuditActions
{
    public const string Created = "source.created";
    public const string Edited = "source.edited";
    public const string Deleted = "source.deleted";
    public const string TokenRotated = "source.tokenRotated";
    public const string TokenRevoked = "source.tokenRevoked";
    public const string Failing = "source.failing";
    public const string Recovered = "source.recovered";
}

/// <summary>
/// Who may manage a source (create, edit, see where it reads from, rotate its token, test it, delete it): admins, and
/// leads of the team that owns the key result or KPI (a lead's own included); a SQL source — it runs a query on a
/// database the server can reach — admins only. Members and viewers see that a source exists and how it fares.
/// </summary>
public static class SourceRules
{
    public const int MaxName = 80;
    public const int MaxUrl = 2048;
    public const int MaxJsonPath = 200;
    public const int MaxQuery = 4000;
    public const int MaxHeaderValue = 4096;
    public const int MaxEntryId = 64;
    /// <summary>The longest schedule: a day.</summary>
    public const int MaxIntervalSeconds = 24 * 3600;

    public static bool MayManage(Actor? actor, Owner owner, SourceKind kind, Func<string, string?> teamOf)
    {
        if (actor is null) return true;
        if (actor.Scope < AccessScope.Write) return false;
        if (kind == SourceKind.Sql) return actor.Role == Role.Admin;
        return actor.Role switch
        {
            Role.Admin => true,
            Role.Lead => owner.Kind switch
            {
                OwnerKind.Team => actor.Leads(owner.Id),
                OwnerKind.Person => owner.Id == actor.PersonId || actor.Leads(teamOf(owner.Id)),
                _ => false,
            },
            _ => false,
        };
    }

    /// <summary>The "via" of a check-in a source wrote: "source:push", "source:http", "source:sql".</summary>
    public static string Via(SourceKind kind) => $"source:{Name(kind)}";

    /// <summary>The actor id of a check-in a source wrote.</summary>
    public static string ActorId(string sourceId) => $"source:{sourceId}";

    public static string Name(SourceKind kind) => kind switch
    {
        SourceKind.Push => "push",
        SourceKind.Http => "http",
        _ => "sql",
    };

    /// <summary>"push"/"http"/"sql" of a check-in's via, or null when it was not written by a source.</summary>
    public static string? KindOfVia(string? via) =>
        via is { Length: > 7 } v && v.StartsWith("source:", StringComparison.Ordinal) ? v[7..] : null;

    /// <summary>The ingest path of a push source (POST with Authorization: Bearer {token}).</summary>
    public static string IngestPath(string sourceId) => $"/api/ingest/{sourceId}";

    private static readonly SearchValues<char> IdChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789");

    /// <summary>Source ids: "src_" and 20 lower-case letters or digits (what <see cref="NewId"/> makes).</summary>
    public static bool IsId(string? id) =>
        id is { Length: 24 } && id.StartsWith("src_", StringComparison.Ordinal) && id.AsSpan(4).IndexOfAnyExcept(IdChars) < 0;

    public static string NewId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        Span<char> chars = stackalloc char[20];
        for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(alphabet.Length)];
        return "src_" + new string(chars);
    }
}
