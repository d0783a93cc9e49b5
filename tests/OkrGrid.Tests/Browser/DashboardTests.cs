using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// The dashboards in a real browser against the real host: the wall follows a check-in made through the REST API
/// live (the time reported, not held to a deadline) and fits a TV without scrolling; every page renders (and is photographed); the check-in form
/// and the fix-it dialog work end to end; the lost-connection banner comes and goes by itself.
/// </summary>
public sealed class DashboardTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string CompanyKeyResult = "growth-logos";

    private static async Task<string> CurrentCycleAsync(BrowserHost host)
    {
        var ct = TestContext.Current.CancellationToken;
        var org = await host.Web.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/organisation", ct);
        return org.GetProperty("cycles")[0].GetProperty("definition").GetProperty("id").GetString()!;
    }

    private static async Task<HttpResponseMessage> PostCheckInAsync(BrowserHost host, string keyResultId, double value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{keyResultId}/check-ins")
        {
            Content = JsonContent.Create(new { value, confidence = 0.8, note = "from the browser test" }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        var response = await host.Web.Client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return response;
    }

    private static async Task AssertNoVerticalScrollAsync(IPage page)
    {
        var overflow = await page.EvaluateAsync<int[]>(
            "() => [document.documentElement.scrollHeight, window.innerHeight, document.querySelector('.okr-wall').scrollHeight, document.querySelector('.okr-wall').clientHeight]");
        Assert.True(overflow[0] <= overflow[1], $"the page scrolls: {overflow[0]} px of content in a {overflow[1]} px window");
        Assert.True(overflow[2] <= overflow[3], $"the wall overflows: {overflow[2]} px of content in {overflow[3]} px");
    }

    [Fact]
    public async Task TheWallShowsACheckInLiveAndFitsATvWithoutScrolling()
    {
        var cycle = await CurrentCycleAsync(host);
        var krId = $"{cycle}:{CompanyKeyResult}";
        var page = await host.OpenAsync("/wall", 1920, 1080);
        var number = page.Locator($"[data-kr='{krId}'] .wall-kr__number");
        await Expect(number).ToBeVisibleAsync();
        await AssertNoVerticalScrollAsync(page);
        await host.ScreenshotAsync(page, "wall-1920x1080");

        var before = double.Parse(await number.InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        var value = before + 2;
        var clock = Stopwatch.StartNew();
        await PostCheckInAsync(host, krId, value);
        var acknowledged = clock.Elapsed;
        // The wall follows without a reload. How fast is the bench's to measure (figure 9, on a quiet machine): here the
        // browser shares 2 cores with the rest of the suite, so the time is reported, not held to a deadline.
        await Expect(number).ToHaveTextAsync(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var shown = clock.Elapsed - acknowledged;
        TestContext.Current.TestOutputHelper?.WriteLine($"the wall showed the check-in {shown.TotalMilliseconds:0} ms after it was acknowledged");

        // The number that changed flashes, and the live indicator says so.
        await Expect(page.Locator($"[data-kr='{krId}'] .okr-live--changed")).ToHaveCountAsync(1);
        await Expect(page.Locator(".okr-liveind")).ToContainTextAsync("Live");
        await host.ScreenshotAsync(page, "wall-after-check-in");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheWallFitsALaptopAndATeamScorecard()
    {
        var page = await host.OpenAsync("/wall", 1366, 768);
        await Expect(page.Locator(".wall-obj").First).ToBeVisibleAsync();
        await AssertNoVerticalScrollAsync(page);
        await host.ScreenshotAsync(page, "wall-1366x768");

        await page.GotoAsync("/wall?team=product-eng");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-wall__title")).ToContainTextAsync("Product & Engineering");
        await AssertNoVerticalScrollAsync(page);
        await host.ScreenshotAsync(page, "wall-team-1366x768");
        await page.Context.CloseAsync();

        var tv = await host.OpenAsync("/wall?team=growth", 1920, 1080);
        await Expect(tv.Locator(".okr-wall__title")).ToContainTextAsync("Growth");
        await AssertNoVerticalScrollAsync(tv);
        // A team's wall lists the check-ins that land while it is up.
        var cycle = await CurrentCycleAsync(host);
        await PostCheckInAsync(host, $"{cycle}:expansion-seats", 16);
        await Expect(tv.Locator(".okr-wall__feed li").First).ToContainTextAsync("16 seats", new() { Timeout = 2000 });
        await Expect(tv.Locator($"[data-kr='{cycle}:expansion-seats'] .wall-kr__number")).ToHaveTextAsync("16");
        await host.ScreenshotAsync(tv, "wall-team-growth");
        await tv.Context.CloseAsync();
    }

    [Fact]
    public async Task TheWallRotatesThroughTheScorecards()
    {
        var page = await host.OpenAsync("/wall?rotate=5", 1920, 1080);
        await Expect(page.Locator(".okr-wall__title")).ToContainTextAsync("Lumen Analytics");
        await Expect(page.Locator(".okr-wall__scope--active")).ToHaveTextAsync("Company");
        await Expect(page.Locator(".okr-wall__title")).Not.ToContainTextAsync("Lumen Analytics", new() { Timeout = 8000 });
        await AssertNoVerticalScrollAsync(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task EveryPageRendersAndLinksToTheNext()
    {
        var cycle = await CurrentCycleAsync(host);
        var page = await host.OpenAsync("/");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Lumen Analytics");
        await Expect(page.Locator(".okr-obj")).ToHaveCountAsync(3);
        await host.ScreenshotAsync(page, "home", fullPage: true);

        await page.GetByRole(AriaRole.Link, new() { Name = "Alignment", Exact = true }).First.ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/alignment$"));
        // A node aligned under two parents appears under both, saying so.
        await page.GetByRole(AriaRole.Button, new() { Name = "Expand all" }).ClickAsync();
        var reliability = page.Locator($".okr-tree__node[data-node='{cycle}:platform-reliability']");
        await Expect(reliability).ToHaveCountAsync(2);
        await Expect(reliability.First.Locator(".okr-tree__also").First).ToContainTextAsync("also supports");
        await page.GetByRole(AriaRole.Button, new() { Name = "Collapse all" }).ClickAsync();
        await page.GotoAsync("/alignment");
        await BrowserHost.WaitInteractiveAsync(page);
        await host.ScreenshotAsync(page, "alignment", fullPage: true);

        await page.GotoAsync("/alignment?team=platform&status=offtrack");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-tree__node").First).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "alignment-filtered");

        await page.GotoAsync("/teams");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-team")).ToHaveCountAsync(6);
        await host.ScreenshotAsync(page, "teams", fullPage: true);

        await page.Locator(".okr-team[data-team='growth']").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Growth");
        await Expect(page.Locator(".okr-obj__supports").First).ToContainTextAsync("Become the analytics platform");
        await host.ScreenshotAsync(page, "team-growth", fullPage: true);

        await page.GotoAsync($"/objectives/{cycle}:co-growth");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-chart svg")).ToBeVisibleAsync();
        await Expect(page.Locator(".okr-log__item").First).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "objective", fullPage: true);

        await page.GotoAsync("/kpis");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-kpirow")).ToHaveCountAsync(4);
        await Expect(page.Locator("[data-kpi='wau'] .okr-chart__dot--dip")).Not.ToHaveCountAsync(0);
        await host.ScreenshotAsync(page, "kpis", fullPage: true);

        await page.GotoAsync("/no/such/page");
        await Expect(page.Locator("h1")).ToHaveTextAsync("There is nothing at this address");
        await host.ScreenshotAsync(page, "not-found");

        await page.GotoAsync($"/objectives/{cycle}:nope");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-empty__title")).ToHaveTextAsync("No such objective");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ACheckInFromTheKeyResultPageIsAcknowledgedAndShownLive()
    {
        var cycle = await CurrentCycleAsync(host);
        var krId = $"{cycle}:research-interviews";
        var page = await host.OpenAsync($"/key-results/{krId}");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Run 24 customer interviews");

        // Empty: refused in place, nothing sent.
        await page.GetByRole(AriaRole.Button, new() { Name = "Check in" }).ClickAsync();
        await Expect(page.Locator(".okr-checkin__value")).ToContainTextAsync("Enter a value.");

        await page.Locator(".okr-checkin__value input").FillAsync("17");
        await page.Locator(".okr-checkin__note textarea").FillAsync("Three interviews with logistics customers this week.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check in" }).ClickAsync();
        await Expect(page.Locator(".okr-checkin__ack")).ToContainTextAsync("Saved: 17 interviews");
        await Expect(page.Locator($"[data-kr-current='{krId}']")).ToHaveTextAsync("17 interviews");
        await Expect(page.Locator(".okr-log__note").First).ToHaveTextAsync("Three interviews with logistics customers this week.", new() { Timeout = 10_000 });
        await host.ScreenshotAsync(page, "key-result", fullPage: true);

        var history = await host.Web.Client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/key-results/{krId}/check-ins",
            TestContext.Current.CancellationToken);
        Assert.Single(history.EnumerateArray(), c => c.GetProperty("value").GetDouble() == 17);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AnInlineCheckInOnTheTeamPageUpdatesTheRow()
    {
        var cycle = await CurrentCycleAsync(host);
        var krId = $"{cycle}:system-screens";
        var page = await host.OpenAsync("/teams/design");
        var row = page.Locator($".okr-obj [data-node='{krId}']");
        await row.Locator(".okr-checkin-toggle").ClickAsync();
        var form = page.Locator($".okr-inline-checkin .okr-checkin[data-kr='{krId}']");
        await form.Locator(".okr-checkin__value input").FillAsync("31");
        await host.ScreenshotAsync(page, "team-inline-check-in");
        await form.GetByRole(AriaRole.Button, new() { Name = "Check in" }).ClickAsync();
        await Expect(form.Locator(".okr-checkin__ack")).ToContainTextAsync("Saved: 31 screens");
        await Expect(row.Locator(".okr-row__value .okr-live")).ToHaveTextAsync("31 screens");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AKpiBelowItsBaselineGetsAnObjectiveToFixItAllOrNothing()
    {
        var page = await host.OpenAsync("/kpis");
        await page.Locator("[data-fix='wau']").ClickAsync();
        var dialog = page.Locator(".okr-fix-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByLabel("Title").First).ToHaveValueAsync("Bring Weekly active users back above its baseline");
        await dialog.Locator(".mud-select").First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Turn sign-ups into active teams" }).ClickAsync();
        await host.ScreenshotAsync(page, "kpi-fix-dialog");

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create objective" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/objectives/.+:fix-wau-"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Bring Weekly active users back above its baseline");
        await Expect(page.Locator(".okr-obj__supports")).ToContainTextAsync("Turn sign-ups into active teams");
        await Expect(page.Locator(".okr-row")).ToHaveCountAsync(1);
        await Expect(page.Locator(".okr-row")).ToContainTextAsync("17,940 users");
        await host.ScreenshotAsync(page, "kpi-fix-created", fullPage: true);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheLostConnectionBannerShowsAndGoesAwayByItself()
    {
        var page = await host.OpenAsync("/wall", 1920, 1080);
        var banner = page.Locator("#components-reconnect-modal");
        await Expect(banner).ToHaveAttributeAsync("data-state", "hide");

        // Cut the circuit's connection while the network is down: Blazor retries, the banner says so.
        await page.Context.SetOfflineAsync(true);
        await page.EvaluateAsync("() => Blazor._internal.forceCloseConnection()");
        await Expect(banner).ToHaveAttributeAsync("data-state", "show");
        await Expect(banner).ToContainTextAsync("Connection to the server lost");
        await page.WaitForTimeoutAsync(600);
        await host.ScreenshotAsync(page, "wall-connection-lost");

        // The network is back: it reconnects on its own, nobody clicks anything.
        await page.Context.SetOfflineAsync(false);
        await Expect(banner).ToHaveAttributeAsync("data-state", "hide", new() { Timeout = 15_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheDarkThemeRendersTheOverview()
    {
        var page = await host.OpenAsync("/", 1440, 900);
        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle dark theme" }).ClickAsync();
        await Expect(page.Locator(".okr-theme-dark")).ToHaveCountAsync(1);
        await host.ScreenshotAsync(page, "home-dark");
        await page.Context.CloseAsync();
    }
}
