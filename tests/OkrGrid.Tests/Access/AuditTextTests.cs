using System.Text.Json;
using OkrGrid.Web.Access;

namespace OkrGrid.Tests.Access;

/// <summary>How the pages word an audit entry's change: only fields that differ, bookkeeping left out, instants readable.</summary>
[Trait("Category", "Fast")]
public sealed class AuditTextTests
{
    private static JsonElement? Json(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    [Theory]
    [InlineData("""{"role":"member","name":"Liam"}""", """{"role":"viewer","name":"Liam"}""", "role: member → viewer")]
    [InlineData(null, """{"kind":"service","scope":"read"}""", "kind: ∅ → service | scope: ∅ → read")]
    [InlineData("""{"value":3,"at":"2026-12-04T15:33:00+00:00"}""", """{"value":5.25,"at":"2026-12-05T14:29:23.709533+00:00","entryId":"x"}""",
        "value: 3 → 5.25 | at: 4 Dec 2026, 15:33:00 UTC → 5 Dec 2026, 14:29:23 UTC")]
    [InlineData("""{"parents":["a"],"version":1}""", """{"parents":["a","b"],"version":2}""", "parents: a → 2 items")]
    [InlineData("""{"disabled":false}""", """{"disabled":true,"note":null}""", "disabled: no → yes")]
    [InlineData("""{"title":"Same"}""", """{"title":"Same"}""", "")]
    public void OnlyWhatDiffersIsSaid(string? before, string? after, string expected)
    {
        var changes = AuditText.Changes(Json(before), Json(after));
        Assert.Equal(expected, string.Join(" | ", changes.Select(c => $"{c.Field}: {c.Before ?? "∅"} → {c.After ?? "∅"}")));
    }

    [Fact]
    public void ALongValueIsCutAndAFewFieldsAreShown()
    {
        var after = Json($$"""{"a":"{{new string('x', 200)}}","b":1,"c":2,"d":3,"e":4,"f":5,"g":6,"h":7}""");
        var changes = AuditText.Changes(null, after);
        Assert.Equal(6, changes.Count);
        Assert.Equal(80, changes[0].After!.Length);
        Assert.EndsWith("…", changes[0].After);
    }

    [Theory]
    [InlineData("page", null, "page")]
    [InlineData("api", null, "API")]
    [InlineData("token:abcdefghijklmnop", null, "token abcdefghijklmnop")]
    [InlineData("demo", "keyResult.checkIn", "demo activity")]
    [InlineData("demo", "signIn.succeeded", "demo sign-in")]
    [InlineData("oidc", "signIn.succeeded", "single sign-on")]
    public void ThroughWhatIsSaidPlainly(string via, string? action, string expected) => Assert.Equal(expected, AuditText.Via(via, action));
}
