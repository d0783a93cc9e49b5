using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// Signing in as people do, in a real browser: the demo's list, a TV with a wall link and no account (and what it
/// shows once the link is revoked), and a member who may look but not change what is not theirs.
/// </summary>
public sealed class SignInTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> CycleAsync() =>
        (await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/organisation", Ct)).GetProperty("cycles")[0].GetProperty("definition").GetProperty("id").GetString()!;

    [Fact]
    public async Task TheDemoListsItsPeopleByRoleAndSignsInAsTheOneChosen()
    {
        // Signed out, a page sends the visitor to the sign-in page and back after.
        var page = await (await host.NewContextAsync(1366, 768, user: null)).NewPageAsync();
        await page.GotoAsync("/teams/growth");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login\\?"));
        var demo = page.Locator("[data-testid=demo-sign-in]");
        await Expect(demo).ToContainTextAsync("DEMO");
        await Expect(demo).ToContainTextAsync("anyone can sign in as anyone");
        await Expect(demo.Locator(".demo__role")).ToHaveTextAsync(["Admin", "Team leads", "Members", "Viewer"]);
        await Expect(demo.Locator("button[data-user=sofia-alvarez]")).ToContainTextAsync("team lead, Growth");
        await host.ScreenshotAsync(page, "sign-in-demo");

        await demo.Locator("button[data-user=sofia-alvarez]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/teams/growth$"));
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=current-user]")).ToContainTextAsync("Sofia Álvarez");
        await Expect(page.Locator("[data-testid=current-user]")).ToContainTextAsync("team lead");
        await Expect(page.Locator("[data-testid=demo-badge]")).ToBeVisibleAsync();

        // Signing out ends the session: the next page asks again.
        await page.Locator("[data-testid=sign-out]").ClickAsync();
        await Expect(page.Locator("[data-testid=login-message]")).ToContainTextAsync("You are signed out.");
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ATvOpensAWallLinkWithoutSigningInAndSaysSoWhenItIsRevoked()
    {
        using var created = await host.Web.Client.PostAsJsonAsync("/api/wall-links", new { name = "Reception TV", scope = "team:growth" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var link = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var url = new Uri(link.GetProperty("url").GetString()!).PathAndQuery;

        var tv = await host.OpenAsync(url, 1920, 1080, user: null);
        await Expect(tv.Locator(".okr-wall")).ToHaveAttributeAsync("data-scope", "team:growth");
        await Expect(tv.Locator(".okr-wall__title")).ToContainTextAsync("Growth");
        await Expect(tv.Locator(".okr-wall__exit")).ToHaveCountAsync(0); // nowhere to go from a link
        // The link shows its scorecard, whatever the address asks for.
        var other = await host.OpenAsync(url + "&team=platform", 1366, 768, user: null);
        await Expect(other.Locator(".okr-wall")).ToHaveAttributeAsync("data-scope", "team:growth");
        await other.Context.CloseAsync();

        using (var revoked = await host.Web.Client.DeleteAsync($"/api/wall-links/{link.GetProperty("info").GetProperty("id").GetString()}", Ct))
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await Expect(tv.Locator("[data-testid=wall-refusal]")).ToContainTextAsync("was revoked", new() { Timeout = 20_000 });
        await Expect(tv.Locator(".okr-wall__objectives")).ToHaveCountAsync(0);
        await host.ScreenshotAsync(tv, "wall-link-revoked");
        // Opened again, it is refused at once.
        var again = await host.OpenAsync(url, 1366, 768, user: null);
        await Expect(again.Locator("[data-testid=wall-refusal]")).ToContainTextAsync("was revoked");
        await again.Context.CloseAsync();
        await tv.Context.CloseAsync();

        // Without a link, the wall is for people who signed in.
        var page = await (await host.NewContextAsync(user: null)).NewPageAsync();
        await page.GotoAsync("/wall");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AMemberSeesWhyTheyMayNotCheckInOnAnotherTeamsKeyResultAndMayOnTheirOwn()
    {
        var cycle = await CycleAsync();
        var page = await host.OpenAsync($"/key-results/{cycle}:platform-migration", 1366, 768, user: "jonas-berg");
        var refused = page.Locator("[data-testid=checkin-refused]");
        await Expect(refused).ToContainTextAsync("Only Kwame Mensah, who owns it, and the leads of Platform can check in on this key result");
        await Expect(refused).ToContainTextAsync("you are a member of Growth");
        await Expect(page.Locator(".okr-checkin form")).ToHaveCountAsync(0);
        await host.ScreenshotAsync(page, "key-result-refused");

        // His own: the form, as him.
        await page.GotoAsync($"/key-results/{cycle}:activation-onboarding");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=checkin-author]")).ToHaveTextAsync("as Jonas Berg");

        // Planning is for leads: he can read scenarios, not start one.
        await page.GotoAsync("/planner");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=planner-readonly]")).ToContainTextAsync("Planning is for team leads and admins");
        await page.Context.CloseAsync();
    }
}
