using System.Net;
using System.Net.Http.Json;
using OkrGrid.Tests.Engine;

namespace OkrGrid.Tests.Access;

/// <summary>
/// Anonymous access (off unless configured): as viewer anyone may read and nobody may change anything; a role that
/// changes things is refused at start on a real database.
/// </summary>
public sealed class AnonymousAccessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnonymousViewersReadButChangeNothingAndTokensStillCount()
    {
        var db = await TestDatabase.CreateAsync("anon");
        try
        {
            await using var web = await WebProcess.StartAsync(db, seedDemo: false, new Dictionary<string, string>
            {
                ["Auth__Anonymous__Enabled"] = "true",
                ["Auth__Anonymous__Role"] = "viewer",
            });
            using var anonymous = WebSessions.Anonymous(web.BaseAddress);
            using (var read = await anonymous.GetAsync("/api/organisation", Ct)) Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("viewer", (await anonymous.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/me", Ct)).GetProperty("role").GetString());
            using (var write = await anonymous.PostAsJsonAsync("/api/teams", new { id = "sneaky", name = "Sneaky" }, Ct))
                Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
            using (var tokens = await anonymous.GetAsync("/api/tokens", Ct)) Assert.Equal(HttpStatusCode.Forbidden, tokens.StatusCode);
            // A page opens without signing in.
            using (var page = await anonymous.GetAsync("/teams", Ct)) Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            // A token still acts as its owner.
            using (var admin = await web.Client.PostAsJsonAsync("/api/teams", new { id = "real", name = "Real" }, Ct))
                Assert.Equal(HttpStatusCode.Created, admin.StatusCode);
        }
        finally { await TestDatabase.DropAsync(db); }
    }

    [Fact]
    public async Task AnAnonymousRoleThatChangesThingsIsRefusedAtStartOnARealDatabase()
    {
        var db = await TestDatabase.CreateAsync("anon");
        try
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => WebProcess.StartAsync(db, seedDemo: false, new Dictionary<string, string>
            {
                ["Auth__Anonymous__Enabled"] = "true",
                ["Auth__Anonymous__Role"] = "admin",
            }));
            Assert.Contains("anonymous access may only read (viewer) on a database that is not a demo", failure.Message);
        }
        finally { await TestDatabase.DropAsync(db); }
    }
}
