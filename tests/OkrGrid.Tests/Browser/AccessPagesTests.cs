using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// The access pages as people use them, in a real browser: a token made on one's account page, shown once, used
/// against the API and revoked; a lead sharing their team's scorecard with a TV and revoking it; an admin changing a
/// role and reading it back in the audit; a check-in showing up, with its author, in a key result's activity; and
/// pages that are not for a role refusing it. Each page is also looked at on a TV-sized and a laptop-sized screen.
/// </summary>
public sealed class AccessPagesTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APersonMakesATokenSeesItOnceUsesItAndRevokesIt()
    {
        var page = await host.OpenAsync("/account", 1366, 768, user: "sofia-alvarez");
        await Expect(page.Locator("[data-testid=profile-name]")).ToHaveTextAsync("Sofia Álvarez");
        await Expect(page.Locator("[data-testid=profile-role]")).ToHaveTextAsync("team lead");
        await Expect(page.Locator("[data-testid=tokens-empty]")).ToBeVisibleAsync();

        await page.Locator("input[data-testid=token-name]").FillAsync("Weekly report script");
        await page.Locator("[data-testid=create-token]").ClickAsync();
        var secret = await page.Locator("[data-testid=secret-value]").TextContentAsync();
        Assert.Matches("^okrp_[A-Za-z0-9]{16}_", secret);
        await Expect(page.Locator("[data-token-id]")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-token-id]")).ToContainTextAsync("Weekly report script");
        await Expect(page.Locator("[data-token-id]")).ToContainTextAsync("active");
        await AssertLaidOutAsync(page, "account-token-1366");

        // The token acts as its owner.
        using (var client = WebSessions.WithToken(host.Web.BaseAddress, secret!))
        {
            var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Ct);
            Assert.Equal("Sofia Álvarez", me.GetProperty("name").GetString());
        }

        // Shown once: opened again, the page lists the token but not its secret.
        await page.ReloadAsync();
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator("[data-token-id]")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid=new-secret]")).ToHaveCountAsync(0);
        Assert.DoesNotContain(secret!, await page.ContentAsync());

        await page.Locator("[data-token-id] [data-testid=revoke]").ClickAsync();
        await Expect(page.Locator("[data-token-id]")).ToContainTextAsync("revoked");
        await Expect(page.Locator("[data-token-id] [data-testid=revoke]")).ToHaveCountAsync(0);
        using (var client = WebSessions.WithToken(host.Web.BaseAddress, secret!))
        using (var refused = await client.GetAsync("/api/me", Ct))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await page.Context.CloseAsync();

        var wide = await host.OpenAsync("/account", 1920, 1080, user: "sofia-alvarez");
        await Expect(wide.Locator("[data-token-id]")).ToHaveCountAsync(1);
        await AssertLaidOutAsync(wide, "account-1920");
        await wide.Context.CloseAsync();
    }

    [Fact]
    public async Task ALeadSharesTheirTeamsScorecardWithATvAndRevokesIt()
    {
        var page = await host.OpenAsync("/wall-links", 1920, 1080, user: "sofia-alvarez");
        // A lead is offered the scorecards of the teams they lead, not the company's.
        await page.Locator("[data-testid=wall-link-scope]").ClickAsync();
        var offered = await page.Locator(".mud-popover-open .mud-list-item").AllTextContentsAsync();
        Assert.Contains(offered, o => o.Contains("Growth", StringComparison.Ordinal));
        Assert.DoesNotContain(offered, o => o.Contains("(company)", StringComparison.Ordinal) || o.Contains("Platform", StringComparison.Ordinal));
        await page.Keyboard.PressAsync("Escape");

        await page.Locator("input[data-testid=wall-link-name]").FillAsync("Growth corner TV");
        await page.Locator("[data-testid=create-wall-link]").ClickAsync();
        var url = await page.Locator("[data-testid=secret-value]").TextContentAsync();
        Assert.Matches("/wall\\?link=okrw_", url);
        await Expect(page.Locator("[data-token-id]")).ToContainTextAsync("Growth corner TV");
        await AssertLaidOutAsync(page, "wall-links-1920");

        var tv = await host.OpenAsync(new Uri(url!).PathAndQuery, 1920, 1080, user: null);
        await Expect(tv.Locator(".okr-wall")).ToHaveAttributeAsync("data-scope", "team:growth");

        await page.Locator("[data-token-id] [data-testid=revoke]").ClickAsync();
        await Expect(page.Locator("[data-token-id]")).ToContainTextAsync("revoked");
        await Expect(tv.Locator("[data-testid=wall-refusal]")).ToContainTextAsync("was revoked", new() { Timeout = 20_000 });

        await page.SetViewportSizeAsync(1366, 768);
        await AssertLaidOutAsync(page, "wall-links-1366");
        await tv.Context.CloseAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AnAdminChangesARoleAndTheAuditSaysWhoDidItAndWhatChanged()
    {
        var page = await host.OpenAsync("/admin/users", 1920, 1080);
        var row = page.Locator("[data-user-id=liam-oconnor]");
        await Expect(row).ToContainTextAsync("member");
        await AssertLaidOutAsync(page, "admin-users-1920");

        await row.Locator("[data-testid=edit-account]").ClickAsync();
        var editor = page.Locator("[data-testid=account-editor]");
        await Expect(editor).ToContainTextAsync("Edit Liam O'Connor");
        await editor.Locator("[data-testid=role]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "viewer" }).ClickAsync();
        // As a person would: save once the field shows the choice (a pick is a round trip to the server of its own,
        // which a click a few milliseconds later can overtake).
        await Expect(editor.Locator(".mud-input-control", new() { HasTextString = "Role" })).ToContainTextAsync("viewer");
        await editor.Locator("[data-testid=save-account]").ClickAsync();
        await Expect(editor).ToHaveCountAsync(0);
        await Expect(row).ToContainTextAsync("viewer");

        // The engine agrees, not only the page: the account reads back as a viewer.
        var user = await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/users/liam-oconnor", Ct);
        Assert.Equal("viewer", user.GetProperty("role").GetString());

        await page.GotoAsync("/admin/audit?actor=user:maya-okafor");
        await BrowserHost.WaitInteractiveAsync(page);
        var entry = page.Locator("[data-action='user.changed']").First;
        await Expect(entry).ToContainTextAsync("Maya Okafor");
        await Expect(entry).ToContainTextAsync("changed the account");
        await Expect(entry).ToContainTextAsync("liam-oconnor");
        await Expect(entry).ToContainTextAsync("role member → viewer");
        await Expect(entry).ToContainTextAsync("page");
        await AssertLaidOutAsync(page, "admin-audit-1920");

        await page.SetViewportSizeAsync(1366, 768);
        await AssertLaidOutAsync(page, "admin-audit-1366");
        await page.GotoAsync("/admin/users");
        await BrowserHost.WaitInteractiveAsync(page);
        await AssertLaidOutAsync(page, "admin-users-1366");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AServiceTokenIsMadeOnTheAdminPageAndActsAsItsTeamsLead()
    {
        var page = await host.OpenAsync("/admin/tokens", 1920, 1080);
        await page.Locator("input[data-testid=service-token-name]").FillAsync("Nightly import");
        await page.Locator("[data-testid=service-token-team]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "lead of Growth" }).ClickAsync();
        await Expect(page.Locator(".mud-input-control", new() { HasTextString = "Acts as" })).ToContainTextAsync("lead of Growth");
        await page.Locator("[data-testid=create-service-token]").ClickAsync();
        var secret = await page.Locator("[data-testid=secret-value]").TextContentAsync();
        Assert.StartsWith("okrs_", secret);
        await Expect(page.Locator("[data-token-id]").First).ToContainTextAsync("Nightly import");
        await Expect(page.Locator("[data-token-id]").First).ToContainTextAsync("read · as lead of Growth");
        await AssertLaidOutAsync(page, "admin-tokens-1920");
        using (var client = WebSessions.WithToken(host.Web.BaseAddress, secret!))
        {
            var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Ct);
            Assert.Equal("read", me.GetProperty("scope").GetString());
            Assert.Equal("lead", me.GetProperty("role").GetString());
            Assert.Equal("growth", me.GetProperty("teamId").GetString());
        }
        await page.SetViewportSizeAsync(1366, 768);
        await AssertLaidOutAsync(page, "admin-tokens-1366");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AKeyResultsActivityShowsACheckInWithItsAuthorAsItHappens()
    {
        var cycle = (await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/cycles/current", Ct)).GetProperty("id").GetString();
        var kr = $"{cycle}:growth-nrr";
        var page = await host.OpenAsync($"/key-results/{kr}", 1920, 1080, user: "jonas-berg");
        await Expect(page.Locator("[data-testid=activity]")).ToBeVisibleAsync();

        var me = await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/me", Ct);
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{kr}/check-ins") { Content = JsonContent.Create(new { value = 107.5, note = "Q3 renewals in" }) })
        {
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            using var created = await host.Web.Client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var entry = page.Locator("[data-testid=activity] [data-action='keyResult.checkIn']").First;
        await Expect(entry).ToContainTextAsync(me.GetProperty("name").GetString()!);
        await Expect(entry).ToContainTextAsync("checked in");
        await Expect(entry).ToContainTextAsync("→ 107.5");
        await Expect(entry).ToContainTextAsync(new Regex("token [A-Za-z0-9]{16}"));
        await AssertLaidOutAsync(page, "key-result-activity-1920");
        await page.SetViewportSizeAsync(1366, 768);
        await AssertLaidOutAsync(page, "key-result-activity-1366");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AKeyResultsActivityPagesThroughWholeEntries()
    {
        // The demo's key result with the longest history: more entries than a page holds.
        var cycle = (await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/cycles/current", Ct)).GetProperty("id").GetString();
        var page = await host.OpenAsync($"/key-results/{cycle}:growth-logos", 1366, 768);
        var activity = page.Locator("[data-testid=activity]");
        var entries = activity.Locator("[data-action]");
        var older = activity.Locator("[data-testid=activity-older]");
        var newer = activity.Locator("[data-testid=activity-newer]");
        await Expect(entries).ToHaveCountAsync(6);
        await Expect(activity.Locator("[data-testid=activity-pages]")).ToContainTextAsync("1–6, newest first");
        await Expect(newer).ToBeDisabledAsync();

        // Nothing in it scrolls: what is shown is all there is on the page, each entry whole.
        var scrolls = await activity.EvaluateAsync<int>("""
            a => [a, ...a.querySelectorAll('*')].filter(e => /auto|scroll/.test(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight + 1).length
            """);
        Assert.Equal(0, scrolls);

        var first = await entries.First.TextContentAsync();
        await older.ClickAsync();
        await Expect(activity.Locator("[data-testid=activity-pages]")).ToContainTextAsync("7–");
        await Expect(entries.First).Not.ToHaveTextAsync(first!);
        await Expect(newer).ToBeEnabledAsync();
        // "Older" goes as far as there are entries and no further: the last page it leads to has some.
        // (Both buttons are disabled while a page loads: "Newer" enabled again means it has.)
        for (var i = 0; i < 20 && await older.IsEnabledAsync(); i++)
        {
            await older.ClickAsync();
            await Expect(newer).ToBeEnabledAsync();
        }
        await Expect(older).ToBeDisabledAsync();
        Assert.True(await entries.CountAsync() > 0, "the oldest page is empty");
        await AssertLaidOutAsync(page, "key-result-activity-oldest-1366");

        while (await newer.IsEnabledAsync())
        {
            await newer.ClickAsync();
            await Expect(older).ToBeEnabledAsync();
        }
        await Expect(activity.Locator("[data-testid=activity-pages]")).ToContainTextAsync("1–6, newest first");
        await Expect(entries.First).ToHaveTextAsync(first!);
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("jonas-berg", "/admin/users")]
    [InlineData("jonas-berg", "/admin/audit")]
    [InlineData("jonas-berg", "/wall-links")]
    [InlineData("sofia-alvarez", "/admin/tokens")]
    [InlineData("board-observer", "/wall-links")]
    public async Task APageThatIsNotForTheRoleSaysSo(string user, string path)
    {
        var page = await (await host.NewContextAsync(1366, 768, user: user)).NewPageAsync();
        await page.GotoAsync(path);
        // Refused before the page runs: the sign-in pages' "not for your role", never the page's data.
        await Expect(page).ToHaveURLAsync(new Regex("/account/denied"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("This is not for your role");
        await host.ScreenshotAsync(page, "access-denied");
        await Expect(page.Locator("[data-testid=token-table], [data-testid=accounts], [data-testid=audit-list]")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    private Task AssertLaidOutAsync(IPage page, string name) => host.AssertLaidOutAsync(page, name);
}
