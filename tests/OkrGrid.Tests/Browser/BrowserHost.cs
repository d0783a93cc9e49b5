using Microsoft.Playwright;
using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// The real web host (seeded demo company, scratch database) and a headless Chromium — Debian's, never a downloaded
/// one. Screenshots go to <c>&lt;test output&gt;/screenshots/</c> and are copied to <c>docs/screenshots/latest/</c>
/// (not committed; the README's pictures are picked from there).
/// </summary>
public sealed class BrowserHost : IAsyncLifetime
{
    private string _db = "";
    private IPlaywright? _playwright;

    public WebProcess Web { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async ValueTask InitializeAsync()
    {
        // Assertions that name no timeout wait up to 15 s: the suite runs the browser beside other hosts on 2 cores.
        // Latency targets are the bench's to measure, not these tests'.
        Assertions.SetDefaultExpectTimeout(15_000);
        _db = await ScratchDatabases.CreateAsync("ui");
        Web = await WebProcess.StartAsync(_db);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath(),
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        Directory.CreateDirectory(ScreenshotDir);
    }

    /// <summary>The demo's admin, whom pages are opened as unless a test says otherwise.</summary>
    public const string DefaultUser = "maya-okafor";

    /// <summary>
    /// A new page at that size, on that address, once its circuit is interactive — signed in as one of the demo's
    /// people (<paramref name="user"/>; null: signed out).
    /// </summary>
    public async Task<IPage> OpenAsync(string path, int width = 1440, int height = 900, ColorScheme scheme = ColorScheme.Light,
        string? user = DefaultUser)
    {
        var context = await NewContextAsync(width, height, scheme, user);
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        await WaitInteractiveAsync(page);
        return page;
    }

    /// <summary>A browser context signed in as a demo person through the demo sign-in form (the session cookie put in the context).</summary>
    public async Task<IBrowserContext> NewContextAsync(int width = 1440, int height = 900, ColorScheme scheme = ColorScheme.Light, string? user = DefaultUser)
    {
        var context = await Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = height },
            BaseURL = Web.BaseAddress.ToString(),
            ColorScheme = scheme,
            TimezoneId = "Europe/Berlin",
            Locale = "en-GB",
        });
        if (user is not null)
        {
            var jar = new System.Net.CookieContainer();
            using (await WebSessions.DemoSignInAsync(Web.BaseAddress, user, jar)) { }
            await context.AddCookiesAsync(jar.GetCookies(Web.BaseAddress).Select(c => new Cookie
            {
                Name = c.Name, Value = c.Value, Domain = Web.BaseAddress.Host, Path = c.Path, HttpOnly = c.HttpOnly,
            }));
        }
        return context;
    }

    public static async Task WaitInteractiveAsync(IPage page) =>
        await page.Locator("[data-interactive=true]").First.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });

    public async Task<string> ScreenshotAsync(IPage page, string name, bool fullPage = false)
    {
        await page.WaitForTimeoutAsync(400); // let transitions (bars, flashes) settle
        var file = Path.Combine(ScreenshotDir, name + ".png");
        var viewport = page.ViewportSize!;
        if (fullPage)
        {
            // A window as tall as the page rather than Playwright's full-page stitching, so that fixed chrome (the
            // drawer) reaches the bottom as it does on a real screen.
            var height = await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight");
            await page.SetViewportSizeAsync(viewport.Width, Math.Clamp(height, viewport.Height, 4000));
            await page.WaitForTimeoutAsync(300);
        }
        await page.ScreenshotAsync(new() { Path = file });
        if (RepositoryRoot() is { } root)
        {
            var docs = Path.Combine(root, "docs", "screenshots", "latest");
            Directory.CreateDirectory(docs);
            File.Copy(file, Path.Combine(docs, name + ".png"), overwrite: true);
            // A small JPEG too, for the README.
            await page.ScreenshotAsync(new() { Path = Path.Combine(docs, name + ".jpg"), Type = ScreenshotType.Jpeg, Quality = 82 });
        }
        if (fullPage) await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
        return file;
    }

    /// <summary>
    /// Takes a screenshot and fails on what a person would see as broken: the page wider than the screen, or text cut
    /// off (an element whose own text overflows a box that hides it, unless its title carries the whole text) —
    /// looked for <paramref name="within"/> (the dashboards' main content; the wall has no layout around it).
    /// </summary>
    public async Task AssertLaidOutAsync(IPage page, string name, string within = ".mud-main-content")
    {
        await ScreenshotAsync(page, name);
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"{name}: the page is {overflow}px wider than the screen");
        var clipped = await page.EvaluateAsync<string[]>("""
            within => [...document.querySelectorAll(within + ' *')].filter(e => {
                const s = getComputedStyle(e);
                if (s.overflowX === 'visible' || s.overflowX === 'auto' || s.overflowX === 'scroll' || e.clientWidth === 0) return false;
                if (e.scrollWidth <= e.clientWidth + 1) return false;
                const text = [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join('');
                return text.length > 0 && !(e.title && e.title.length >= text.length);
            }).map(e => `${e.tagName}.${e.className}: ${e.textContent.trim().slice(0, 60)}`)
            """, within);
        Assert.True(clipped.Length == 0, $"{name}: text cut off in {string.Join("; ", clipped)}");
        // A table that needs a sideways scroll on a laptop hides its last columns (the revoke button, say).
        var sideways = await page.EvaluateAsync<string[]>("""
            within => [...document.querySelectorAll(within + ' *')].filter(e => {
                const s = getComputedStyle(e);
                return (s.overflowX === 'auto' || s.overflowX === 'scroll') && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1;
            }).map(e => `${e.tagName}.${e.className} (${e.scrollWidth} > ${e.clientWidth})`)
            """, within);
        Assert.True(sideways.Length == 0, $"{name}: scrolls sideways: {string.Join("; ", sideways)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (Web is not null) await Web.DisposeAsync();
        if (_db.Length > 0) await ScratchDatabases.DropAsync(_db);
    }

    private static readonly Lazy<string> Chromium = new(FindOrInstallChromium);

    /// <summary>Debian's Chromium; installed by <c>deploy/chromium.sh</c> when missing (once, however many callers).</summary>
    internal static string ChromiumPath() => Chromium.Value;

    private static string FindOrInstallChromium()
    {
        var script = Path.Combine(RepositoryRoot() ?? throw new InvalidOperationException("Cannot find the repository root (OkrGrid.sln)."), "deploy", "chromium.sh");
        var start = new System.Diagnostics.ProcessStartInfo("bash", [script, "path"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var path = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 && File.Exists(path) ? path
            : throw new InvalidOperationException($"No Chromium for the browser tests (bash deploy/chromium.sh path): {stderr.Result.Trim()}");
    }

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OkrGrid.sln"))) return dir.FullName;
        return null;
    }
}
