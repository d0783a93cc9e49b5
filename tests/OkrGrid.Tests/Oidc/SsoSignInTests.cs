using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OkrGrid.Tests.Browser;
using OkrGrid.Tests.Engine;
using OkrGrid.Web.Access;
using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Oidc;

/// <summary>The web host configured for single sign-on with a real OpenID provider, and a real browser.</summary>
public sealed class SsoHost : IAsyncLifetime
{
    public const string DisplayName = "Acme SSO";

    private string _db = "";
    private IPlaywright? _playwright;

    public OidcProvider Provider { get; private set; } = null!;
    public WebProcess Web { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var port = WebProcess.FreePort();
        Provider = await OidcProvider.StartAsync(new()
        {
            RedirectUris = [new Uri($"http://127.0.0.1:{port}/signin-oidc")],
            PostLogoutRedirectUris = [new Uri($"http://127.0.0.1:{port}/signout-callback-oidc")],
        }, TestContext.Current.CancellationToken);
        _db = await TestDatabase.CreateAsync("sso");
        // The way an operator configures it: appsettings or environment, nothing else.
        Web = await WebProcess.StartAsync(_db, environment: new Dictionary<string, string>
        {
            ["Auth__Oidc__Authority"] = Provider.Issuer.ToString(),
            ["Auth__Oidc__ClientId"] = Provider.ClientId,
            ["Auth__Oidc__ClientSecret"] = Provider.ClientSecret,
            ["Auth__Oidc__DisplayName"] = DisplayName,
            ["Auth__Oidc__RequireHttpsMetadata"] = "false", // a provider on loopback HTTP, in a test only
        }, port: port);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = BrowserHost.ChromiumPath(), Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (Web is not null) await Web.DisposeAsync();
        if (Provider is not null) await Provider.DisposeAsync();
        if (_db.Length > 0) await TestDatabase.DropAsync(_db);
    }
}

/// <summary>
/// Signing in through an OpenID provider: a person an admin added (linked by their verified e-mail) lands on their
/// page as themselves, checks in, and the audit names them; someone nobody added gets an account with the default
/// role (viewer) and may look but not change anything.
/// </summary>
public sealed class SsoSignInTests(SsoHost host) : IClassFixture<SsoHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAddedPersonSignsInThroughTheProviderChecksInAndTheAuditShowsThem()
    {
        var cycle = (await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/organisation", Ct)).GetProperty("cycles")[0].GetProperty("definition").GetProperty("id").GetString();
        var kr = $"{cycle}:activation-conversion"; // Aisha Khan's key result
        using (var added = await host.Web.Client.PostAsJsonAsync("/api/users",
                   new { userName = "alice", displayName = "Alice Andersen", email = OidcAccount.Alice.Email, role = "member", personId = "aisha-khan" }, Ct))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var page = await SignInAsync(OidcAccount.Alice, $"/key-results/{kr}");
        await Expect(page.Locator("[data-testid=current-user]")).ToContainTextAsync("Alice Andersen");
        await Expect(page.Locator("[data-testid=current-user]")).ToContainTextAsync("member");
        await Expect(page.Locator("[data-testid=checkin-author]")).ToHaveTextAsync("as Alice Andersen");
        await page.Locator(".okr-checkin__value input").FillAsync("9.4");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check in" }).ClickAsync();
        await Expect(page.Locator(".okr-checkin__ack")).ToContainTextAsync("Saved: 9.4");

        var activity = (await host.Web.Client.GetFromJsonAsync<AuditPage>($"/api/activity/{kr}", SsoJson, Ct))!;
        var latest = activity.Entries[0];
        Assert.Equal(("keyResult.checkIn", "user:alice", "Alice Andersen", "page"), (latest.Action, latest.ActorId, latest.ActorName, latest.Via));
        Assert.Equal(9.4, latest.After!.Value.GetProperty("value").GetDouble());
        var signIns = (await host.Web.Client.GetFromJsonAsync<AuditPage>("/api/audit?actor=user:alice&action=signIn.", SsoJson, Ct))!;
        Assert.Contains(signIns.Entries, e => e.Action == "signIn.succeeded" && e.Via == "oidc");
        var alice = (await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/users/alice", Ct));
        Assert.Equal("oidc", alice.GetProperty("externalLogins")[0].GetString());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SomeoneNobodyAddedGetsAViewersAccountAndMayNotCheckIn()
    {
        var cycle = (await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/organisation", Ct)).GetProperty("cycles")[0].GetProperty("definition").GetProperty("id").GetString();
        var page = await SignInAsync(OidcAccount.Bob, $"/key-results/{cycle}:activation-conversion");
        await Expect(page.Locator("[data-testid=current-user]")).ToContainTextAsync("Bob Berg");
        await Expect(page.Locator("[data-testid=current-user]")).ToContainTextAsync("viewer");
        await Expect(page.Locator("[data-testid=checkin-refused]")).ToContainTextAsync("you can read but not change anything (viewer)");
        await page.Context.CloseAsync();
    }

    /// <summary>The sign-in page's single sign-on button, the provider's own login form, and back.</summary>
    private async Task<IPage> SignInAsync(OidcAccount account, string returnUrl)
    {
        var context = await host.Browser.NewContextAsync(new() { BaseURL = host.Web.BaseAddress.ToString(), ViewportSize = new() { Width = 1366, Height = 768 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(returnUrl);
        await page.Locator("[data-testid=sso]").ClickAsync();
        await Expect(page.Locator("input[name=login]")).ToBeVisibleAsync();
        Assert.StartsWith(host.Provider.Issuer.GetLeftPart(UriPartial.Authority), page.Url);
        await page.Locator("input[name=login]").FillAsync(account.PreferredUsername);
        await page.Locator("input[name=password]").FillAsync(account.Password);
        await page.Locator("button[type=submit]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(host.Web.BaseAddress, returnUrl).ToString(), new() { Timeout = 20_000 });
        await BrowserHost.WaitInteractiveAsync(page);
        return page;
    }

    private static readonly JsonSerializerOptions SsoJson = OkrGrid.Tests.Live.DemoHostFixture.Json;
}
