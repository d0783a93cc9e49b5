using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using OkrGrid.Tests.Browser;

namespace OkrGrid.Tests.Integrations;

/// <summary>
/// A key result's page in a real Chromium: a source that fails says so — "failing since", the failures in a row and
/// the last error — and the check-ins sources wrote carry their chip. Screenshots at 1920×1080 and 1366×768.
/// </summary>
[Collection(SourcesCollection.Name)]
public sealed class SourcesPageTests(SourcesHost host) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async ValueTask InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserHost.ChromiumPath(),
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }

    [Fact]
    public async Task AFailingSourceIsShownOnTheKeyResultWithSinceWhenAndTheLastError()
    {
        var objective = await CreatedIdAsync("/api/objectives", new { cycleId = host.CycleId, title = "Ship faster", owner = new { kind = "team", id = "growth" } });
        var kr = await CreatedIdAsync("/api/key-results", new
        {
            title = "Deploys per week", owner = new { kind = "person", id = "jonas-berg" }, kind = "increase", start = 0, target = 20, objectiveId = objective,
        });
        // A push from CI, then an HTTP source that works once and then answers 500.
        var push = await CreateAsync(new { keyResultId = kr, name = "GitHub CI", kind = "push" });
        using (var client = new HttpClient { BaseAddress = host.Web.BaseAddress })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/ingest/{(string)push["source"]!["id"]!}") { Content = new StringContent("6", Encoding.UTF8, "text/plain") };
            request.Headers.Authorization = new("Bearer", (string)push["token"]!);
            using var pushed = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        }
        var path = $"/page/{Guid.NewGuid():N}";
        host.Endpoints.Json(path, """{"deploys": 9}""");
        var pull = await CreateAsync(new { keyResultId = kr, name = "Deploy API", kind = "http", url = host.Endpoints.Url(path), jsonPath = "$.deploys", intervalSeconds = 3600 });
        var pullId = (string)pull["source"]!["id"]!;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); (await host.Admin.GetFromJsonAsync<JsonObject>($"/api/sources/{pullId}", SourcesHost.Json, Ct))!["status"]!["lastSuccessAt"] is null; await Task.Delay(50, Ct))
            Assert.True(DateTime.UtcNow < deadline, "the first pull did not happen");
        host.Endpoints.Set(path, new(500, "boom"));
        using (var sync = await host.Admin.PostAsync($"/api/sources/{pullId}/sync", null, Ct)) Assert.Equal(HttpStatusCode.OK, sync.StatusCode);

        foreach (var (width, height) in new[] { (1920, 1080), (1366, 768) })
        {
            var page = await OpenAsync($"/key-results/{kr}", width, height);
            var failing = page.Locator($"[data-source='{pullId}'] [data-testid=source-failing]");
            await Assertions.Expect(failing).ToContainTextAsync("Failing since");
            await Assertions.Expect(failing).ToContainTextAsync("1 failure in a row");
            await Assertions.Expect(page.Locator($"[data-source='{pullId}'] [data-testid=source-error]")).ToContainTextAsync("Last error: the server answered 500");
            // The key result keeps its last good value, and its log says who wrote each one.
            await Assertions.Expect(page.Locator($"[data-kr-current='{kr}']")).ToContainTextAsync("9");
            await Assertions.Expect(page.Locator(".okr-log__via-source[data-source-kind=push]")).ToContainTextAsync("via GitHub CI (push)");
            await Assertions.Expect(page.Locator(".okr-log__via-source[data-source-kind=http]")).ToContainTextAsync("via Deploy API (http)");
            await page.Locator("[data-testid=sources]").ScrollIntoViewIfNeededAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir(), $"sources-failing-{width}x{height}.png") });
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"the page is {overflow}px wider than the screen at {width}×{height}");
            await page.Context.CloseAsync();
        }

        // It recovers: the failure goes away on its own (the panel re-reads), without a reload.
        var live = await OpenAsync($"/key-results/{kr}", 1366, 768);
        await Assertions.Expect(live.Locator($"[data-source='{pullId}'] [data-testid=source-failing]")).ToBeVisibleAsync();
        host.Endpoints.Json(path, """{"deploys": 12}""");
        using (var sync = await host.Admin.PostAsync($"/api/sources/{pullId}/sync", null, Ct)) Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        await Assertions.Expect(live.Locator($"[data-source='{pullId}'] [data-testid=source-failing]")).ToHaveCountAsync(0);
        await Assertions.Expect(live.Locator($"[data-source='{pullId}'] [data-testid=source-ok]")).ToContainTextAsync("Last value 12");
        await Assertions.Expect(live.Locator($"[data-kr-current='{kr}']")).ToContainTextAsync("12");
        await live.Context.CloseAsync();
    }

    [Fact]
    public async Task AKpisSourceIsShownUnderItOnTheKpiList()
    {
        var created = await CreateAsync(new { kpiId = "wau", name = "Analytics export", kind = "push" });
        using (var client = new HttpClient { BaseAddress = host.Web.BaseAddress })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/ingest/{(string)created["source"]!["id"]!}")
            { Content = new StringContent("""{"value": 23456, "note": "nightly export"}""", Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new("Bearer", (string)created["token"]!);
            using var pushed = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        }
        foreach (var (width, height) in new[] { (1920, 1080), (1366, 768) })
        {
            var page = await OpenAsync("/kpis", width, height);
            var panel = page.Locator("[data-kpi=wau] [data-testid=sources]");
            await Assertions.Expect(panel).ToContainTextAsync("Analytics export");
            await Assertions.Expect(panel).ToContainTextAsync("Last value 23,456");
            await panel.ScrollIntoViewIfNeededAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir(), $"sources-kpi-{width}x{height}.png") });
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"the page is {overflow}px wider than the screen at {width}×{height}");
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task APushSourceConnectedOnTheKeyResultsPageTakesAValueWithTheTokenItShowedOnce()
    {
        var objective = await CreatedIdAsync("/api/objectives", new { cycleId = host.CycleId, title = "Faster support", owner = new { kind = "team", id = "growth" } });
        var kr = await CreatedIdAsync("/api/key-results", new
        {
            title = "Tickets closed", owner = new { kind = "person", id = "jonas-berg" }, kind = "increase", start = 0, target = 400, objectiveId = objective,
        });
        var page = await OpenAsync($"/key-results/{kr}", 1366, 768);
        await page.Locator("[data-testid=source-connect-open]").ClickAsync();

        // A source without a name is refused under its field, and nothing is made.
        await page.Locator("[data-testid=source-create]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=source-connect] .mud-input-helper-text.mud-input-error")).ToContainTextAsync("Must not be empty.");
        var none = await host.Admin.GetFromJsonAsync<JsonArray>($"/api/sources?nodeId={Uri.EscapeDataString(kr)}", SourcesHost.Json, Ct);
        Assert.Empty(none!);

        await page.Locator("input[data-testid=source-name]").FillAsync("Helpdesk export");
        await page.Locator("[data-testid=source-create]").ClickAsync();
        var url = await page.Locator("[data-testid=source-ingest-url]").InnerTextAsync();
        var token = await page.Locator("[data-testid=source-connect] [data-testid=secret-value]").InnerTextAsync();
        Assert.StartsWith(host.Web.BaseAddress.ToString().TrimEnd('/') + "/api/ingest/src_", url);
        // The panel lists it at once (not after its 5 s re-read).
        await Assertions.Expect(page.Locator("[data-testid=sources]")).ToContainTextAsync("Helpdesk export");
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir(), "sources-connected-1366x768.png") });

        using (var client = new HttpClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("""{"value": 137, "id": "export-1"}""", Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new("Bearer", token.Trim());
            using var pushed = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        }
        await Assertions.Expect(page.Locator($"[data-kr-current='{kr}']")).ToContainTextAsync("137");
        await Assertions.Expect(page.Locator(".okr-log__via-source[data-source-kind=push]")).ToContainTextAsync("via Helpdesk export (push)");
        // The token is shown once: a reload has the source but not its token.
        await page.ReloadAsync();
        await BrowserHost.WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=sources]")).ToContainTextAsync("Helpdesk export");
        await Assertions.Expect(page.Locator("[data-testid=secret-value]")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    private static string ScreenshotDir()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private async Task<IPage> OpenAsync(string path, int width, int height)
    {
        var context = await _browser!.NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = height }, BaseURL = host.Web.BaseAddress.ToString(), TimezoneId = "Europe/Berlin", Locale = "en-GB",
        });
        var jar = new CookieContainer();
        using (await WebSessions.DemoSignInAsync(host.Web.BaseAddress, BrowserHost.DefaultUser, jar)) { }
        await context.AddCookiesAsync(jar.GetCookies(host.Web.BaseAddress).Select(c => new Microsoft.Playwright.Cookie
        {
            Name = c.Name, Value = c.Value, Domain = host.Web.BaseAddress.Host, Path = c.Path, HttpOnly = c.HttpOnly,
        }));
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        await BrowserHost.WaitInteractiveAsync(page);
        return page;
    }

    private async Task<string> CreatedIdAsync(string url, object body)
    {
        using var response = await host.Admin.PostAsJsonAsync(url, body, SourcesHost.Json, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>(SourcesHost.Json, Ct))!["id"]!;
    }

    private async Task<JsonObject> CreateAsync(object body)
    {
        using var response = await host.Admin.PostAsJsonAsync("/api/sources", body, SourcesHost.Json, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>(SourcesHost.Json, Ct))!;
    }
}
