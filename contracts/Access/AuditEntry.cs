using System.Text.Json;
using System.Text.Json.Serialization;

namespace OkrGrid.Access;

/// <summary>
/// One change, as the audit trail keeps it: who (<see cref="ActorId"/>, <see cref="ActorName"/>), through what
/// (<see cref="Via"/>), what (<see cref="Action"/> on <see cref="Subject"/>) and the state before → after as JSON.
/// <see cref="Source"/> and <see cref="Seq"/> identify it: the grain that made the change numbers its entries, so
/// writing one twice (after a crash between the change and the audit write) keeps one.
/// </summary>
[GenerateSerializer, Immutable, Alias("okr.access.audit-entry")]
public sealed record AuditEntry(
    [property: Id(0)] string Source,
    [property: Id(1)] long Seq,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string ActorId,
    [property: Id(4)] string ActorName,
    [property: Id(5)] string Via,
    [property: Id(6)] string Action,
    [property: Id(7)] string? Subject,
    [property: Id(8)] string? CycleId,
    [property: Id(9)] string? Before,
    [property: Id(10)] string? After);

/// <summary>The actions the audit trail names (stable strings: stored and filtered on).</summary>
public static class AuditActions
{
    public const string ObjectiveCreated = "objective.created";
    public const string ObjectiveEdited = "objective.edited";
    public const string ObjectiveAligned = "objective.aligned";
    public const string ObjectiveDeleted = "objective.deleted";
    public const string KeyResultCreated = "keyResult.created";
    public const string KeyResultEdited = "keyResult.edited";
    public const string KeyResultMoved = "keyResult.moved";
    public const string KeyResultDeleted = "keyResult.deleted";
    public const string WeightChanged = "weight.changed";
    public const string MovesApplied = "cycle.movesApplied";
    public const string Imported = "cycle.imported";
    public const string PolicyChanged = "cycle.policyChanged";
    public const string CycleCreated = "cycle.created";
    public const string CycleClosed = "cycle.closed";
    public const string CycleReopened = "cycle.reopened";
    public const string CarriedOver = "cycle.carriedOver";
    public const string CheckIn = "keyResult.checkIn";
    public const string Measurement = "kpi.measurement";
    public const string TeamCreated = "team.created";
    public const string PersonCreated = "person.created";
    public const string OrganisationImported = "organisation.imported";
    public const string CompanyRenamed = "company.renamed";
    public const string CompanyPolicyChanged = "company.policyChanged";
    public const string KpiCreated = "kpi.created";
    public const string KpiDeleted = "kpi.deleted";
    public const string ScenarioApplied = "scenario.applied";
    public const string ScenarioDiscarded = "scenario.discarded";
    public const string UserCreated = "user.created";
    public const string UserChanged = "user.changed";
    public const string TokenCreated = "token.created";
    public const string TokenRevoked = "token.revoked";
    public const string WallLinkCreated = "wallLink.created";
    public const string WallLinkRevoked = "wallLink.revoked";
    public const string SignIn = "signIn.succeeded";
    public const string SignInFailed = "signIn.failed";
    public const string SetupCompleted = "setup.completed";
}

/// <summary>The JSON of an entry's before and after: camelCase, enums by name, as the API writes them.</summary>
public static class AuditJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string? Of<T>(T? value) => value is null ? null : JsonSerializer.Serialize(value, Options);
}
