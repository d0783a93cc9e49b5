using System.Globalization;
using System.Text.Json;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// How the pages say an audit entry: "checked in", "via API token", and the fields that differ between the state before
/// and after ("value 3 → 5"). Pure, so the activity panel and the admin page say the same thing.
/// </summary>
public static class AuditText
{
    /// <summary>The action as a verb phrase: "checked in", "created an objective", "failed to sign in".</summary>
    public static string Action(string action) => action switch
    {
        AuditActions.CheckIn => "checked in",
        AuditActions.Measurement => "recorded a measurement",
        AuditActions.ObjectiveCreated => "created the objective",
        AuditActions.ObjectiveEdited => "edited the objective",
        AuditActions.ObjectiveAligned => "re-aligned the objective",
        AuditActions.ObjectiveDeleted => "deleted the objective",
        AuditActions.KeyResultCreated => "created the key result",
        AuditActions.KeyResultEdited => "edited the key result",
        AuditActions.KeyResultMoved => "moved the key result",
        AuditActions.KeyResultDeleted => "deleted the key result",
        AuditActions.WeightChanged => "changed a weight",
        AuditActions.MovesApplied => "applied moves",
        AuditActions.Imported => "imported into the cycle",
        AuditActions.PolicyChanged => "changed the cycle's scoring",
        AuditActions.CycleCreated => "created the cycle",
        AuditActions.CycleClosed => "closed the cycle",
        AuditActions.CycleReopened => "reopened the cycle",
        AuditActions.CarriedOver => "carried objectives over",
        AuditActions.TeamCreated => "created the team",
        AuditActions.PersonCreated => "added the person",
        AuditActions.OrganisationImported => "imported the organisation",
        AuditActions.CompanyRenamed => "renamed the company",
        AuditActions.CompanyPolicyChanged => "changed the company's scoring",
        AuditActions.KpiCreated => "created the KPI",
        AuditActions.KpiDeleted => "deleted the KPI",
        AuditActions.ScenarioApplied => "applied a scenario",
        AuditActions.ScenarioDiscarded => "discarded a scenario",
        AuditActions.UserCreated => "added the account",
        AuditActions.UserChanged => "changed the account",
        AuditActions.TokenCreated => "made an API token",
        AuditActions.TokenRevoked => "revoked an API token",
        AuditActions.WallLinkCreated => "made a wall link",
        AuditActions.WallLinkRevoked => "revoked a wall link",
        AuditActions.SignIn => "signed in",
        AuditActions.SignInFailed => "failed to sign in",
        AuditActions.SetupCompleted => "completed the setup",
        OkrGrid.Sources.SourceAuditActions.Created => "added a data source",
        OkrGrid.Sources.SourceAuditActions.Edited => "changed a data source",
        OkrGrid.Sources.SourceAuditActions.Deleted => "removed a data source",
        OkrGrid.Sources.SourceAuditActions.TokenRotated => "made a new ingest token",
        OkrGrid.Sources.SourceAuditActions.TokenRevoked => "revoked the ingest token",
        OkrGrid.Sources.SourceAuditActions.Failing => "started failing",
        OkrGrid.Sources.SourceAuditActions.Recovered => "works again",
        _ => action,
    };

    /// <summary>Through what the change came: "page", "API", "token …", "demo activity", "system" (a sign-in: how).</summary>
    public static string Via(string via, string? action = null) => via switch
    {
        "page" => "page",
        "api" => "API",
        "demo" when action?.StartsWith("signIn.", StringComparison.Ordinal) == true => "demo sign-in",
        "demo" => "demo activity",
        "system" => "system",
        "password" => "password",
        _ when via.StartsWith("token:", StringComparison.Ordinal) => $"token {via[6..]}",
        _ when OkrGrid.Sources.SourceRules.KindOfVia(via) is { } kind => $"data source ({kind})",
        _ when via.StartsWith("oidc", StringComparison.Ordinal) => "single sign-on",
        _ => via,
    };

    /// <summary>A change of one field between before and after, as text.</summary>
    public sealed record Change(string Field, string? Before, string? After);

    /// <summary>
    /// The top-level fields whose values differ (added, removed or changed), in the order they appear; bookkeeping
    /// fields (ids, versions) left out. A check-in compares its value with the one before it.
    /// </summary>
    public static IReadOnlyList<Change> Changes(JsonElement? before, JsonElement? after, int max = 6)
    {
        var b = Fields(before);
        var a = Fields(after);
        var changes = new List<Change>();
        foreach (var name in a.Keys.Concat(b.Keys).Distinct())
        {
            if (Ignored.Contains(name)) continue;
            b.TryGetValue(name, out var was);
            a.TryGetValue(name, out var now);
            if (was == now) continue;
            changes.Add(new Change(name, was, now));
            if (changes.Count == max) break;
        }
        return changes;
    }

    private static readonly HashSet<string> Ignored = ["id", "entryId", "version", "concurrencyStamp", "securityStamp"];

    private static Dictionary<string, string?> Fields(JsonElement? element)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (element is not { ValueKind: JsonValueKind.Object } e) return fields;
        foreach (var p in e.EnumerateObject()) fields[p.Name] = Text(p.Value);
        return fields;
    }

    /// <summary>A value short enough for one line: numbers as written, strings bare, arrays and objects abbreviated.</summary>
    public static string? Text(JsonElement value)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            JsonValueKind.String => Instant(value.GetString()),
            JsonValueKind.Number => value.TryGetDouble(out var d) ? d.ToString("0.####", CultureInfo.InvariantCulture) : value.GetRawText(),
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            JsonValueKind.Array => value.GetArrayLength() switch { 0 => "none", 1 => Text(value[0]), var n => $"{n} items" },
            _ => value.GetRawText(),
        };
        return text is { Length: > 80 } ? text[..79] + "…" : text;
    }

    /// <summary>An ISO 8601 instant as people read it ("4 Dec 2026, 15:33:00 UTC"); any other string as it is.</summary>
    private static string? Instant(string? text) =>
        text is { Length: >= 20 and <= 40 } && text[10] == 'T'
        && DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.ToUniversalTime().ToString("d MMM yyyy, HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)
            : text;
}
