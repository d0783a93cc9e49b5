using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OkrGrid.Web.Components.Shared;
using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// "The scorecard as of" in a real browser: a key result moved through the API after an instant was noted shows where it
/// was on the alignment tree, the objective page and the wall as of that instant — saying so, and not overwritten by what
/// happens meanwhile — and where it is once set back to live; the address carries the instant, a wall link keeps to its
/// own scorecard, and an instant that cannot be shown is said on the page. Each page is looked at on a TV-sized and a
/// laptop-sized screen. Every test moves a key result of its own.
/// </summary>
public sealed class TimeTravelPagesTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> CycleAsync() =>
        (await host.Web.Client.GetFromJsonAsync<JsonElement>("/api/cycles/current", Ct)).GetProperty("id").GetString()!;

    private async Task MoveAsync(string keyResultId, string objectiveId)
    {
        using var response = await host.Web.Client.PutAsJsonAsync($"/api/key-results/{keyResultId}/objective", new { objectiveId, weight = 1 }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>An instant before what the test changes next: the change takes effect strictly after it.</summary>
    private static async Task<DateTimeOffset> NoteAnInstantAsync()
    {
        var at = DateTimeOffset.UtcNow;
        await Task.Delay(300, Ct);
        return at;
    }

    /// <summary>A key result listed directly under an objective in the alignment tree.</summary>
    private static ILocator Under(IPage page, string objectiveId, string keyResultId) =>
        page.Locator($"li.okr-tree__node[data-node='{objectiveId}'] > ul > li.okr-tree__node[data-node='{keyResultId}']");

    [Fact]
    public async Task TheAlignmentTreeShowsAPastInstantUntilSetBackToLive()
    {
        var cycle = await CycleAsync();
        var (kr, was, movedTo, finallyIn) = ($"{cycle}:growth-logos", $"{cycle}:co-growth", $"{cycle}:co-customers", $"{cycle}:co-reliability");
        var then = await NoteAnInstantAsync();
        await MoveAsync(kr, movedTo);

        var page = await host.OpenAsync($"/alignment?at={AsOf.Query(then)}", 1920, 1080);
        await Expect(Under(page, was, kr)).ToHaveCountAsync(1);
        await Expect(Under(page, movedTo, kr)).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=as-of]")).ToHaveAttributeAsync("data-mode", "past");
        await Expect(page.Locator("[data-testid=as-of-notice]")).ToContainTextAsync($"As of {AsOf.Label(then)}");
        await Expect(page.Locator("[data-testid=as-of-notice]")).ToContainTextAsync("not live");
        await Expect(page.Locator("[data-testid=alignment-sub]")).ToContainTextAsync($"as of {AsOf.Label(then)}");
        await host.AssertLaidOutAsync(page, "alignment-as-of-1920");

        // What happens meanwhile does not overwrite the past: moved again, the tree still shows it where it was.
        await MoveAsync(kr, finallyIn);
        await page.WaitForTimeoutAsync(1500);
        await Expect(Under(page, was, kr)).ToHaveCountAsync(1);
        await Expect(Under(page, finallyIn, kr)).ToHaveCountAsync(0);

        // Back to live: where it is now, and the address no longer names an instant.
        await page.Locator("[data-testid=as-of-live]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/alignment$"));
        await Expect(page.Locator("[data-testid=as-of]")).ToHaveAttributeAsync("data-mode", "live");
        await Expect(Under(page, finallyIn, kr)).ToHaveCountAsync(1);
        await Expect(Under(page, was, kr)).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=as-of-notice]")).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=as-of-value]")).ToHaveTextAsync("Now · live");

        // The slider's left end is the cycle's start: the demo as it was seeded, the key result back where it began.
        await page.Locator("[data-testid=as-of-slider]").FillAsync("0");
        await Expect(page).ToHaveURLAsync(new Regex("[?&]at=\\d{4}-\\d\\d-\\d\\dT"));
        await Expect(page.Locator("[data-testid=as-of]")).ToHaveAttributeAsync("data-mode", "past");
        await Expect(Under(page, was, kr)).ToHaveCountAsync(1);
        var link = page.Url;
        await page.SetViewportSizeAsync(1366, 768);
        await host.AssertLaidOutAsync(page, "alignment-as-of-start-1366");

        // The address reproduces the view.
        var again = await host.OpenAsync(new Uri(link).PathAndQuery, 1366, 768);
        await Expect(Under(again, was, kr)).ToHaveCountAsync(1);
        await Expect(again.Locator("[data-testid=as-of-value]")).ToHaveTextAsync(await page.Locator("[data-testid=as-of-value]").InnerTextAsync());
        await again.Context.CloseAsync();

        // Back to live by sliding to the right end.
        var max = await page.Locator("[data-testid=as-of-slider]").GetAttributeAsync("max");
        await page.Locator("[data-testid=as-of-slider]").FillAsync(max!);
        await Expect(page).ToHaveURLAsync(new Regex("/alignment$"));
        await Expect(Under(page, finallyIn, kr)).ToHaveCountAsync(1);
        await host.AssertLaidOutAsync(page, "alignment-live-1366");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheObjectivePageShowsItsChildrenAsOfAnInstantAndMarksItOnTheChart()
    {
        var cycle = await CycleAsync();
        var (kr, objective, movedTo) = ($"{cycle}:customers-support", $"{cycle}:co-customers", $"{cycle}:co-growth");
        var then = await NoteAnInstantAsync();
        await MoveAsync(kr, movedTo);

        var page = await host.OpenAsync($"/objectives/{objective}?at={AsOf.Query(then)}", 1920, 1080);
        await Expect(page.Locator($".okr-row[data-node='{kr}']")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid=as-of-notice]")).ToContainTextAsync($"As of {AsOf.Label(then)}");
        await Expect(page.Locator(".okr-hero")).ToContainTextAsync("Expected by then");
        await Expect(page.Locator("[data-testid=chart-as-of]")).ToHaveCountAsync(1);
        await host.AssertLaidOutAsync(page, "objective-as-of-1920");
        await host.ScreenshotAsync(page, "objective-as-of-full", fullPage: true);
        await page.SetViewportSizeAsync(1366, 768);
        await host.AssertLaidOutAsync(page, "objective-as-of-1366");

        await page.Locator("[data-testid=as-of-live]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/objectives/{Regex.Escape(objective)}$"));
        await Expect(page.Locator($".okr-row[data-node='{kr}']")).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=chart-as-of]")).ToHaveCountAsync(0);
        await Expect(page.Locator(".okr-hero")).ToContainTextAsync("Expected by today");

        // Where the key result is now, it was not then.
        await page.GotoAsync($"/objectives/{movedTo}?at={AsOf.Query(then)}");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=as-of]")).ToHaveAttributeAsync("data-mode", "past");
        await Expect(page.Locator($".okr-row[data-node='{kr}']")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheWallShowsAPastInstantStaticallyAndAWallLinkStillOnlyItsOwnScorecard()
    {
        var cycle = await CycleAsync();
        var (kr, was, movedTo) = ($"{cycle}:growth-nrr", $"{cycle}:co-growth", $"{cycle}:co-reliability");
        var then = await NoteAnInstantAsync();
        await MoveAsync(kr, movedTo);

        var tv = await host.OpenAsync($"/wall?at={AsOf.Query(then)}", 1920, 1080);
        await Expect(tv.Locator($"[data-objective='{was}'] [data-kr='{kr}']")).ToHaveCountAsync(1);
        await Expect(tv.Locator($"[data-objective='{movedTo}'] [data-kr='{kr}']")).ToHaveCountAsync(0);
        await Expect(tv.Locator("[data-testid=as-of-banner]")).ToContainTextAsync(AsOf.Label(then));
        await Expect(tv.Locator("[data-testid=as-of-banner]")).ToContainTextAsync("not live");
        await Expect(tv.Locator(".okr-liveind")).ToHaveCountAsync(0);
        await AssertFitsAsync(tv);
        await host.AssertLaidOutAsync(tv, "wall-as-of-1920x1080", within: ".okr-wall__header");

        // Static: a check-in landing now does not reach a wall showing the past.
        var uptime = tv.Locator($"[data-kr='{cycle}:reliability-uptime'] .wall-kr__number");
        var shown = await uptime.InnerTextAsync();
        await CheckInAsync($"{cycle}:reliability-uptime", 99.42);
        await tv.WaitForTimeoutAsync(1500);
        await Expect(uptime).ToHaveTextAsync(shown);
        await tv.SetViewportSizeAsync(1366, 768);
        await AssertFitsAsync(tv);
        await host.AssertLaidOutAsync(tv, "wall-as-of-1366x768", within: ".okr-wall__header");
        await tv.Context.CloseAsync();

        // Without ?at= the wall is live as before, the key result where it is now.
        var live = await host.OpenAsync("/wall", 1920, 1080);
        await Expect(live.Locator($"[data-objective='{movedTo}'] [data-kr='{kr}']")).ToHaveCountAsync(1);
        await Expect(live.Locator("[data-testid=as-of-banner]")).ToHaveCountAsync(0);
        await Expect(live.Locator(".okr-liveind")).ToHaveCountAsync(1);
        await live.Context.CloseAsync();

        // A wall link reading ?at= still sees only its own scorecard, whatever else the address asks for.
        using var created = await host.Web.Client.PostAsJsonAsync("/api/wall-links", new { name = "Growth as of", scope = "team:growth" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString()!;
        var kiosk = await host.OpenAsync($"/wall?link={Uri.EscapeDataString(token)}&team=platform&at={AsOf.Query(then)}", 1920, 1080, user: null);
        await Expect(kiosk.Locator(".okr-wall")).ToHaveAttributeAsync("data-scope", "team:growth");
        await Expect(kiosk.Locator(".okr-wall__title")).ToContainTextAsync("Growth");
        await Expect(kiosk.Locator("[data-testid=as-of-banner]")).ToContainTextAsync(AsOf.Label(then));
        // A team's wall lists updates as they land; a past one says there are none, in a sentence that fits its column.
        var none = kiosk.Locator(".okr-wall__feed-empty");
        await Expect(none).ToContainTextAsync("None on a past scorecard");
        Assert.True((await none.BoundingBoxAsync())!.Height < 80, "the past wall's feed note is squeezed into a narrow column");
        await AssertFitsAsync(kiosk);
        await host.AssertLaidOutAsync(kiosk, "wall-link-as-of-1920x1080", within: ".okr-wall__header");
        await kiosk.Context.CloseAsync();
    }

    [Fact]
    public async Task AnInstantThatCannotBeShownIsSaidOnThePage()
    {
        var cycle = await CycleAsync();
        var future = AsOf.Query(DateTimeOffset.UtcNow.AddDays(2));
        var page = await host.OpenAsync("/alignment?at=last-tuesday", 1920, 1080);
        await Expect(page.Locator("[data-testid=as-of-problem]")).ToContainTextAsync("'last-tuesday' is not an instant");
        await Expect(page.Locator(".okr-tree")).ToHaveCountAsync(0);
        await host.AssertLaidOutAsync(page, "alignment-as-of-refused-1920");

        await page.GotoAsync($"/alignment?at={future}");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=as-of-problem]")).ToContainTextAsync("is in the future");
        await page.GotoAsync("/alignment?at=2001-01-01");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=as-of-problem]")).ToContainTextAsync("existed");
        // "Now / live" is the way out.
        await page.Locator("[data-testid=as-of-live]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/alignment$"));
        await Expect(page.Locator(".okr-tree__node").First).ToBeVisibleAsync();

        await page.GotoAsync($"/objectives/{cycle}:co-growth?at={future}");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator("[data-testid=as-of-problem]")).ToContainTextAsync("is in the future");
        await page.SetViewportSizeAsync(1366, 768);
        await host.AssertLaidOutAsync(page, "objective-as-of-refused-1366");
        await page.Context.CloseAsync();

        var tv = await host.OpenAsync("/wall?at=soon", 1920, 1080);
        await Expect(tv.Locator(".okr-wall__empty")).ToContainTextAsync("'soon' is not an instant");
        await host.ScreenshotAsync(tv, "wall-as-of-refused");
        await tv.Context.CloseAsync();
    }

    private async Task CheckInAsync(string keyResultId, double value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{keyResultId}/check-ins")
        {
            Content = JsonContent.Create(new { value, confidence = 0.8, note = "while the wall shows the past" }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        using var response = await host.Web.Client.SendAsync(request, Ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The wall fills the screen without scrolling, as it does live.</summary>
    private static async Task AssertFitsAsync(IPage page)
    {
        var sizes = await page.EvaluateAsync<int[]>(
            "() => [document.documentElement.scrollHeight, window.innerHeight, document.querySelector('.okr-wall').scrollHeight, document.querySelector('.okr-wall').clientHeight]");
        Assert.True(sizes[0] <= sizes[1], $"the page scrolls: {sizes[0]} px of content in a {sizes[1]} px window");
        Assert.True(sizes[2] <= sizes[3], $"the wall overflows: {sizes[2]} px of content in {sizes[3]} px");
    }
}
