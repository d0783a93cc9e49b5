using System.Net.Http.Json;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// Every page of the app as people see it, on a TV-sized (1920×1080) and a laptop-sized (1366×768) screen: each is
/// photographed (<c>layout-&lt;page&gt;-&lt;size&gt;.png</c>) and must have nothing the layout probe calls broken — no
/// text cut off, nothing drawn over something else, no panel with a heading and nothing under it, no impossible
/// number. One test case per page and size, so a failure names both.
/// </summary>
public sealed class PageLayoutTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    public static readonly (int Width, int Height)[] Sizes = [(1920, 1080), (1366, 768)];

    /// <summary>
    /// What a page must show before it is judged, beyond its data having loaded: a select's chosen value, so the value
    /// (the longest text such a field holds) is measured rather than an empty field.
    /// </summary>
    private static readonly Dictionary<string, string> Shows = new()
    {
        ["planner-scenario"] = ".okr-planner__sens-objective div.mud-input-slot:not(:empty)",
        ["webhooks"] = "[data-testid=hook-scope]:not(:empty)",
    };

    /// <summary>Name (for the test case and the screenshot) and address; {cycle} and {scenario} are filled in when run.</summary>
    public static readonly (string Name, string Path)[] Pages =
    [
        ("home", "/"),
        ("wall", "/wall"),
        ("wall-product-eng", "/wall?team=product-eng"),
        ("wall-data", "/wall?team=data"),
        ("wall-growth", "/wall?team=growth"),
        ("teams", "/teams"),
        ("team-growth", "/teams/growth"),
        ("team-product-eng", "/teams/product-eng"),
        ("alignment", "/alignment"),
        ("objective", "/objectives/{cycle}:co-growth"),
        ("key-result", "/key-results/{cycle}:growth-logos"),
        ("kpis", "/kpis"),
        ("planner", "/planner"),
        ("planner-scenario", "/planner/{scenario}"),
        ("import-export", "/import-export"),
        ("webhooks", "/webhooks"),
        ("account", "/account"),
        ("admin-users", "/admin/users"),
        ("admin-tokens", "/admin/tokens"),
        ("admin-audit", "/admin/audit"),
        ("wall-links", "/wall-links"),
    ];

    /// <summary>
    /// Every page at every size; OKRGRID_LAYOUT_PAGES (names, comma-separated) narrows it to some pages while one works
    /// on them — a narrowed run says so in each case's output.
    /// </summary>
    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        var only = Environment.GetEnvironmentVariable("OKRGRID_LAYOUT_PAGES")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var (name, _) in Pages.Where(p => only is not { Length: > 0 } || only.Contains(p.Name)))
            foreach (var (w, h) in Sizes)
                data.Add(name, w, h);
        return data;
    }

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static string? _scenario;

    /// <summary>One planner scenario for the scenario page, made through the API the first time it is needed.</summary>
    private async Task<string> ScenarioAsync()
    {
        await Once.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_scenario is not null) return _scenario;
            var created = await host.Web.Client.PostAsJsonAsync("/api/scenarios", new { name = "Layout check" }, TestContext.Current.CancellationToken);
            created.EnsureSuccessStatusCode();
            var body = await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestContext.Current.CancellationToken);
            return _scenario = body.GetProperty("id").GetString()!;
        }
        finally
        {
            Once.Release();
        }
    }

    private async Task<string> CycleAsync()
    {
        var org = await host.Web.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/organisation", TestContext.Current.CancellationToken);
        return org.GetProperty("cycles")[0].GetProperty("definition").GetProperty("id").GetString()!;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ThePageIsLaidOutWithoutProblems(string name, int width, int height)
    {
        var path = Pages.Single(p => p.Name == name).Path;
        if (path.Contains("{cycle}", StringComparison.Ordinal)) path = path.Replace("{cycle}", await CycleAsync(), StringComparison.Ordinal);
        if (path.Contains("{scenario}", StringComparison.Ordinal)) path = path.Replace("{scenario}", await ScenarioAsync(), StringComparison.Ordinal);

        var page = await host.OpenAsync(path, width, height);
        try
        {
            // Judged once the page shows its data: no "Loading…" spinner, a wall that says it is ready, the web font in.
            await page.WaitForFunctionAsync("""
                () => !document.querySelector('.okr-empty .mud-progress-circular')
                   && (!document.querySelector('.okr-wall') || !!document.querySelector('.okr-wall[data-ready=true]'))
                   && document.fonts.status === 'loaded'
                """, null, new() { Timeout = 30_000 });
            if (Shows.TryGetValue(name, out var shows))
                await page.WaitForSelectorAsync(shows, new() { Timeout = 30_000 });
            await host.ScreenshotAsync(page, $"layout-{name}-{width}x{height}", fullPage: !path.StartsWith("/wall?", StringComparison.Ordinal) && path != "/wall");
            var problems = await LayoutProbe.LayoutProblemsAsync(page);
            Assert.True(problems.Count == 0, $"{path} at {width}×{height}:\n  " + string.Join("\n  ", problems));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
