using System.Net;

namespace OkrGrid.Tests.Access;

/// <summary>
/// Odd filters on the audit's query string, from outside: a NUL, other control characters or a filter no id could be
/// long enough to match — each refused as a 400 naming the parameter, never a 500 from PostgreSQL.
/// </summary>
[Collection(AccessCollection.Name)]
public sealed class AuditQueryInputTests(AccessHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("nodeId=a%00b", "nodeId")]
    [InlineData("cycleId=%00", "cycleId")]
    [InlineData("action=keyResult.%0A", "action")]
    [InlineData("actor=user:%01maya", "actor")]
    [InlineData("personId=jonas%00", "actor")]
    [InlineData("nodeId=LONG", "nodeId")]
    public async Task AnOddFilterIsRefusedByName(string query, string field)
    {
        query = query.Replace("LONG", new string('x', 10_000), StringComparison.Ordinal);
        using var response = await host.Admin.GetAsync($"/api/audit?{query}", Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Contains($"\"field\":\"{field}\"", body);
    }

    [Fact]
    public async Task ANodesActivityWithAnOddCursorIsRefusedByName()
    {
        using var response = await host.Admin.GetAsync($"/api/activity/{host.CycleId}:growth-logos?cursor=%00", Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("\"field\":\"cursor\"", body);
    }
}
