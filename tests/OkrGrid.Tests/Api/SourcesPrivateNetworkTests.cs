using System.Net;

namespace OkrGrid.Tests.Api;

/// <summary>
/// On a host that keeps private networks closed (the default), a data source cannot point the server at itself, its
/// network or a cloud metadata endpoint: an HTTP source's URL and a SQL source's host are refused naming the field.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SourcesPrivateNetworkTests(ApiHost host) : ApiTestBase(host)
{
    [Theory]
    [InlineData("http://127.0.0.1:5080/api/organisation", "this machine")]
    [InlineData("http://localhost/metrics", "this machine")]
    [InlineData("http://[::1]/metrics", "this machine")]
    [InlineData("http://169.254.169.254/latest/meta-data/iam", "non-public")]
    [InlineData("http://10.0.0.7/stats.json", "non-public")]
    [InlineData("http://192.168.1.20/stats.json", "non-public")]
    [InlineData("https://user:pw@example.com/stats.json", "user name or password")]
    public async Task AnHttpSourceOnAPrivateAddressIsRefusedNamingTheUrl(string url, string reason)
    {
        var kr = await NewKeyResultAsync();
        await RefusedAsync(HttpStatusCode.BadRequest, "url", reason, HttpMethod.Post, "/api/sources",
            new { keyResultId = kr, name = "Internal", kind = "http", url, jsonPath = "$.v" }, alsoUnchanged: [$"/api/sources?nodeId={kr}"]);
        Assert.Equal("[]", await Client.GetStringAsync($"/api/sources?nodeId={kr}", Ct));
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Database=okr;Username=postgres", "this machine")]
    [InlineData("Host=localhost;Database=okr;Username=postgres", "this machine")]
    [InlineData("Host=10.1.2.3;Database=okr;Username=reader", "non-public")]
    [InlineData("Host=db.example.com,169.254.169.254;Database=okr;Username=reader", "non-public")]
    [InlineData("Host=/var/run/postgresql;Database=okr;Username=postgres", "Unix socket")]
    public async Task ASqlSourceOnAPrivateHostIsRefusedNamingTheConnectionString(string connectionString, string reason)
    {
        var kr = await NewKeyResultAsync();
        await RefusedAsync(HttpStatusCode.BadRequest, "connectionString", reason, HttpMethod.Post, "/api/sources",
            new { keyResultId = kr, name = "Internal DB", kind = "sql", connectionString, query = "select 1" }, alsoUnchanged: [$"/api/sources?nodeId={kr}"]);
    }

    [Fact]
    public async Task ASqlSourceWhoseHostNameResolvesToAPrivateAddressIsRefusedOnCreation()
    {
        // A name of this machine (its own, or one in /etc/hosts) that resolves only to loopback or private addresses —
        // not "localhost", which is refused before any lookup.
        string? name = null;
        var candidates = new[] { Dns.GetHostName() }.Concat(File.Exists("/etc/hosts")
            ? File.ReadLines("/etc/hosts").Where(l => !l.TrimStart().StartsWith('#')).SelectMany(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Skip(1))
            : []);
        foreach (var candidate in candidates.Distinct().Where(c => !c.Contains("localhost", StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                var addresses = await Dns.GetHostAddressesAsync(candidate, Ct);
                if (addresses.Length > 0 && addresses.All(a => !OkrGrid.Engine.Integrations.OutboundHttp.IsPublic(a))) { name = candidate; break; }
            }
            catch (System.Net.Sockets.SocketException) { }
        }
        Assert.True(name is not null, "no name of this machine resolves only to private addresses");
        var kr = await NewKeyResultAsync();
        await RefusedAsync(HttpStatusCode.BadRequest, "connectionString", "resolves to a non-public address", HttpMethod.Post, "/api/sources",
            new { keyResultId = kr, name = "By name", kind = "sql", connectionString = $"Host={name};Database=okr;Username=reader", query = "select 1" },
            alsoUnchanged: [$"/api/sources?nodeId={kr}"]);
    }

    private async Task<string> NewKeyResultAsync()
    {
        var local = NewId("srcpriv");
        await CreateKeyResultAsync(local, objectiveId: null, owner: TeamOwner("platform"));
        return Node(local);
    }
}
