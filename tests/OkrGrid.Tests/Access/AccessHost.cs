using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OkrGrid.Tests.Engine;
using OkrGrid.Tests.Live;

namespace OkrGrid.Tests.Access;

/// <summary>
/// Who can knock on the host's door, each with their own credential made the way users make them: signed-in demo
/// people's personal tokens and sessions, the admin's tokens of every scope, a service token, a wall link, and nobody.
/// </summary>
public enum Caller
{
    /// <summary>No credential at all.</summary>
    Anonymous,
    /// <summary>A company wall link, sent as a bearer token (it is not for the API).</summary>
    WallLink,
    /// <summary>Avery Quinn, a viewer: personal token (read).</summary>
    Viewer,
    /// <summary>Jonas Berg, a member of Growth: personal token (write).</summary>
    Member,
    /// <summary>Tomasz Nowak, a member of Platform — another team: personal token (write).</summary>
    OtherTeamMember,
    /// <summary>Sofia Álvarez, lead of Growth: personal token (write).</summary>
    Lead,
    /// <summary>Maya Okafor, admin: personal token (admin).</summary>
    Admin,
    /// <summary>Maya's token with the read scope.</summary>
    AdminReadToken,
    /// <summary>Maya's token with the check-in scope.</summary>
    AdminCheckInToken,
    /// <summary>Maya's token with the write scope.</summary>
    AdminWriteToken,
    /// <summary>A service token of team Growth (it acts as Growth's lead), write scope.</summary>
    GrowthService,
    /// <summary>Jonas signed in: the session cookie and the antiforgery header.</summary>
    MemberSession,
    /// <summary>Sofia signed in: the session cookie and the antiforgery header.</summary>
    LeadSession,
}

/// <summary>One demo host of its own (its state is changed by the tests), and a client per <see cref="Caller"/>.</summary>
public sealed class AccessHost : IAsyncLifetime
{
    public static JsonSerializerOptions Json => DemoHostFixture.Json;

    private string _db = "";
    private readonly Dictionary<Caller, HttpClient> _clients = [];

    public WebProcess Web { get; private set; } = null!;
    public string CycleId { get; private set; } = "";
    public IReadOnlyDictionary<Caller, HttpClient> Clients => _clients;
    public string WallLink { get; private set; } = "";
    public Dictionary<Caller, string> Tokens { get; } = [];

    public HttpClient Admin => _clients[Caller.Admin];

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync("access");
        Web = await WebProcess.StartAsync(_db);
        var org = (await Web.Client.GetFromJsonAsync<OrganisationView>("/api/organisation", Json))!;
        CycleId = org.Cycles.Single().Id;

        var address = Web.BaseAddress;
        async Task<string> PersonalAsync(string user, string scope)
        {
            using var session = await WebSessions.DemoSignInAsync(address, user);
            return await WebSessions.CreateTokenAsync(session, $"{user} {scope}", scope);
        }
        Tokens[Caller.Viewer] = await PersonalAsync("board-observer", "read");
        Tokens[Caller.Member] = await PersonalAsync("jonas-berg", "write");
        Tokens[Caller.OtherTeamMember] = await PersonalAsync("tomasz-nowak", "write");
        Tokens[Caller.Lead] = await PersonalAsync("sofia-alvarez", "write");
        Tokens[Caller.Admin] = await PersonalAsync("maya-okafor", "admin");
        Tokens[Caller.AdminReadToken] = await PersonalAsync("maya-okafor", "read");
        Tokens[Caller.AdminCheckInToken] = await PersonalAsync("maya-okafor", "checkIn");
        Tokens[Caller.AdminWriteToken] = await PersonalAsync("maya-okafor", "write");
        foreach (var (caller, token) in Tokens) _clients[caller] = WebSessions.WithToken(address, token);

        Tokens[Caller.GrowthService] = await CreatedTokenAsync("/api/service-tokens", new { name = "Growth dashboards sync", scope = "write", teamId = "growth" });
        _clients[Caller.GrowthService] = WebSessions.WithToken(address, Tokens[Caller.GrowthService]);
        WallLink = await CreatedTokenAsync("/api/wall-links", new { name = "Lobby TV", scope = "company" });
        _clients[Caller.WallLink] = WebSessions.WithToken(address, WallLink);
        _clients[Caller.Anonymous] = WebSessions.Anonymous(address);
        _clients[Caller.MemberSession] = await WebSessions.DemoSignInAsync(address, "jonas-berg");
        _clients[Caller.LeadSession] = await WebSessions.DemoSignInAsync(address, "sofia-alvarez");
    }

    /// <summary>Creates something that answers with a token (as the admin, through the API) and returns the token.</summary>
    public async Task<string> CreatedTokenAsync(string url, object body)
    {
        using var response = await Admin.PostAsJsonAsync(url, body, Json);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values) client.Dispose();
        if (Web is not null) await Web.DisposeAsync();
        if (_db.Length > 0) await TestDatabase.DropAsync(_db);
    }
}

[CollectionDefinition(Name)]
public sealed class AccessCollection : ICollectionFixture<AccessHost>
{
    public const string Name = "Access host";
}
