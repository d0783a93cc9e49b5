using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// The objective, key-result and KPI pages as people see them on a laptop and a desktop screen, with a node that got
/// many check-ins on one day: a dot per day, never a column of overlapping dots; axis labels at a readable size; the
/// check-in log one page of entries at a time; a KPI's dips of one day on one line, with times.
/// </summary>
public sealed partial class ChartPagesTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    /// <summary>Check-ins (and KPI measurements) made today, within minutes: what demo activity or a busy integration does.</summary>
    private const int SameDay = 40;

    private static readonly (int Width, int Height)[] Screens = [(1920, 1080), (1366, 768)];

    private static async Task<string> CurrentCycleAsync(BrowserHost host)
    {
        var org = await host.Web.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/organisation", TestContext.Current.CancellationToken);
        return org.GetProperty("cycles")[0].GetProperty("definition").GetProperty("id").GetString()!;
    }

    private static async Task PostAsync(BrowserHost host, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        using var response = await host.Web.Client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Many check-ins today on one key result, once per fixture (the tests share its host).</summary>
    private static readonly SemaphoreSlim Seeded = new(1, 1);
    private static readonly HashSet<BrowserHost> SeededHosts = [];

    private async Task<string> BusyKeyResultAsync()
    {
        var cycle = await CurrentCycleAsync(host);
        var krId = $"{cycle}:self-serve-teams";
        await Seeded.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (SeededHosts.Add(host))
            {
                for (var i = 0; i < SameDay; i++)
                    await PostAsync(host, $"/api/key-results/{krId}/check-ins", new { value = 3 + i % 4, confidence = 0.7, note = $"busy day #{i}" });
                // A KPI measured again and again today, below its baseline most times.
                for (var i = 0; i < SameDay; i++)
                    await PostAsync(host, "/api/kpis/uptime/measurements", new { value = i % 3 == 0 ? 99.95 : 99.7 - i * 0.001, note = i == 0 ? "storage incident" : "" });
            }
        }
        finally { Seeded.Release(); }
        return krId;
    }

    /// <summary>Problems a reader would see in the charts: overlapping dots, axis labels too small to read.</summary>
    private static async Task<string[]> ChartProblemsAsync(IPage page) => await page.EvaluateAsync<string[]>("""
        () => {
            const problems = [];
            for (const chart of document.querySelectorAll('[data-chart]')) {
                const dots = [...chart.querySelectorAll('.okr-pc__dot, .okr-tc__dot')].map(d => d.getBoundingClientRect());
                if (dots.some(r => r.width < 3)) problems.push(`${chart.dataset.chart}: a dot narrower than 3px`);
                for (let i = 0; i < dots.length; i++)
                    for (let j = i + 1; j < dots.length; j++) {
                        const a = dots[i], b = dots[j];
                        const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
                        if (overlap) problems.push(`${chart.dataset.chart}: dots ${i} and ${j} overlap at x=${Math.round(a.left)}`);
                    }
                for (const label of chart.querySelectorAll('.okr-chart__xlabel, .okr-chart__ylabel, .okr-chart__today-label, .okr-chart__legend span')) {
                    const size = parseFloat(getComputedStyle(label).fontSize);
                    const box = label.getBoundingClientRect();
                    if (size < 12 || box.height < 11) problems.push(`${chart.dataset.chart}: "${label.textContent.trim()}" at ${size}px (${Math.round(box.height)}px tall)`);
                }
            }
            return problems;
        }
        """);

    /// <summary>The log beside the chart is bounded: neither column of the page is far taller than the other.</summary>
    private static async Task AssertColumnsBalancedAsync(IPage page)
    {
        var columns = await page.EvaluateAsync<double[]>(
            "() => [...document.querySelector('.okr-split').children].map(c => c.getBoundingClientRect().height)");
        Assert.Equal(2, columns.Length);
        Assert.True(columns.Max() <= 2 * columns.Min(), $"columns {string.Join(" and ", columns.Select(c => $"{c:0}px"))}");
    }

    [Fact]
    public async Task AKeyResultWithManyCheckInsTodayShowsADotPerDayReadableAxesAndABoundedLog()
    {
        var krId = await BusyKeyResultAsync();
        foreach (var (width, height) in Screens)
        {
            var page = await host.OpenAsync($"/key-results/{krId}", width, height);
            await Expect(page.Locator("[data-chart=progress] .okr-pc__dot").First).ToBeVisibleAsync();
            await host.AssertLaidOutAsync(page, $"key-result-busy-{width}x{height}");

            // Today's forty check-ins are one dot that says so (two, should they straddle midnight UTC).
            var dots = page.Locator("[data-chart=progress] .okr-pc__dot");
            var counts = await dots.EvaluateAllAsync<int[]>("ds => ds.slice(-2).map(d => +d.dataset.checkIns)");
            Assert.True(counts.Sum() >= SameDay, $"the last two days' dots count {string.Join(" + ", counts)} check-ins");
            Assert.Matches(@"\d+ check-ins from \d\d:\d\d to \d\d:\d\d", await dots.Last.GetAttributeAsync("title"));
            Assert.Empty(await ChartProblemsAsync(page));

            // The log shows a page of check-ins, not all fifty: the page does not grow with them; "earlier" turns the page.
            var log = page.Locator("[data-testid=check-in-log]");
            var items = log.Locator(".okr-log__item");
            var shown = await items.CountAsync();
            Assert.InRange(shown, 1, 10);
            var newest = await items.First.Locator(".okr-log__note").InnerTextAsync(); // unique per check-in ("busy day #39")
            await page.Locator("[data-testid=check-in-log-earlier]").ClickAsync();
            await Expect(items.First.Locator(".okr-log__note")).Not.ToHaveTextAsync(newest);
            await Expect(page.Locator("[data-testid=check-in-log-pages]")).ToContainTextAsync($"{shown + 1}–");
            await page.Locator("[data-testid=check-in-log-newer]").ClickAsync();
            await Expect(items.First.Locator(".okr-log__note")).ToHaveTextAsync(newest);
            var pageHeight = await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight");
            Assert.True(pageHeight < 2600, $"the page is {pageHeight}px tall");
            await AssertColumnsBalancedAsync(page);
            await host.ScreenshotAsync(page, $"key-result-busy-{width}x{height}-full", fullPage: true);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task TheObjectiveAboveABusyKeyResultKeepsItsColumnsBalanced()
    {
        var krId = await BusyKeyResultAsync();
        var objectiveId = krId[..krId.IndexOf(':')] + ":data-self-serve";
        foreach (var (width, height) in Screens)
        {
            var page = await host.OpenAsync($"/objectives/{objectiveId}", width, height);
            await Expect(page.Locator("[data-chart=progress] .okr-pc__dot").First).ToBeVisibleAsync();
            await Expect(page.Locator("[data-testid=check-in-log] .okr-log__item").First).ToBeVisibleAsync();
            await host.AssertLaidOutAsync(page, $"objective-busy-{width}x{height}");
            Assert.Empty(await ChartProblemsAsync(page));

            await AssertColumnsBalancedAsync(page);
            await host.ScreenshotAsync(page, $"objective-busy-{width}x{height}-full", fullPage: true);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task KpiDipsOfOneDayAreOneLineWithTimesAndTheTrendHasADotPerDay()
    {
        await BusyKeyResultAsync();
        foreach (var (width, height) in Screens)
        {
            var page = await host.OpenAsync("/kpis", width, height);
            var uptime = page.Locator("[data-kpi=uptime]");
            await Expect(uptime.Locator("[data-chart=trend] .okr-tc__dot").First).ToBeVisibleAsync();
            await host.AssertLaidOutAsync(page, $"kpis-busy-{width}x{height}");
            Assert.Empty(await ChartProblemsAsync(page));

            // Today's dips are one line that tells how many and when; no two lines read the same.
            var dips = await uptime.Locator(".okr-dip").AllInnerTextsAsync();
            Assert.NotEmpty(dips);
            Assert.Equal(dips.Count, dips.Distinct().Count());
            Assert.Matches(TimeOfDay(), dips[0]);
            Assert.Contains("readings worse than the baseline", dips[0]);
            Assert.Single(await uptime.Locator($".okr-dip[data-dip-day='{DateTime.UtcNow:yyyy-MM-dd}']").AllAsync());
            await host.ScreenshotAsync(page, $"kpis-busy-{width}x{height}-full", fullPage: true);
            await page.Context.CloseAsync();
        }
    }

    [GeneratedRegex(@"\d\d:\d\d")]
    private static partial Regex TimeOfDay();
}
