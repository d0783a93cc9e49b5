using Microsoft.Playwright;

namespace OkrGrid.Tests.Browser;

/// <summary>Just Chromium, no web host: the probe is tried on static pages written here.</summary>
public sealed class ChromiumOnly : IAsyncLifetime
{
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserHost.ChromiumPath(),
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
    }
}

/// <summary>
/// The layout probe catches what it claims to (a clipped title, an overlap, an empty panel, one word a line, NaN and
/// friends) and stays quiet on a page without them — so a page that passes it passed something.
/// </summary>
public sealed class LayoutProbeTests(ChromiumOnly chromium) : IClassFixture<ChromiumOnly>
{
    private const string Style = """
        <style>
          body { font: 16px/1.4 sans-serif; margin: 16px; }
          .card { border: 1px solid #ccc; padding: 8px; margin: 8px 0; width: 300px; background: #fff; }
          .clip { width: 120px; white-space: nowrap; overflow: hidden; }
          .ellipsis { width: 120px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
          .short { height: 1.4em; overflow: hidden; width: 200px; }
          .pulled-up { margin-top: -40px; }
          .narrow { width: 40px; }
          .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        </style>
        """;

    private async Task<IReadOnlyList<string>> ProbeAsync(string body)
    {
        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 800 } });
        try
        {
            await page.SetContentAsync($"<!doctype html><html><head>{Style}</head><body>{body}</body></html>");
            return await LayoutProbe.LayoutProblemsAsync(page);
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [Fact]
    public async Task ACleanPageHasNoProblems()
    {
        var problems = await ProbeAsync("""
            <section class="card"><h2>Objectives</h2><p>Grow revenue to 4 million, 62 % done.</p></section>
            <section class="card"><h2>Key results</h2><p>Ship the new onboarding, 3 of 5 steps.</p></section>
            <div class="ellipsis" title="A title far too long for its box, readable on hover">A title far too long for its box, readable on hover</div>
            <span class="sr-only">Screen readers only: a long sentence nobody sees on screen</span>
            <p>Down −4.5 pt vs last week; 3.2 % of users; −0.5 % change</p>
            <input style="width: 300px" value="A value that fits its field">
            <select style="width: 300px"><option>An option that fits</option></select>
            <input type="password" style="width: 40px" value="a long password nobody should read">
            <div class="field"><div class="mud-input-slot" style="width: 300px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis">Lumen Analytics (company)</div></div>
            """);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task AFormValueCutByItsFieldIsCaughtUnlessATitleCarriesIt()
    {
        // The fields of a form, each too narrow for the value it shows (a MudSelect draws its chosen option in a
        // .mud-input-slot div), and the same again with a title that carries the value.
        var problems = await ProbeAsync("""
            <input class="cut" style="width: 120px" value="Delight customers so much they recommend us">
            <select class="cut" style="width: 120px"><option>Lumen Analytics (company)</option></select>
            <div class="field"><div class="mud-input-slot" style="width: 120px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis">Microsoft Teams channel</div></div>
            <input class="titled" style="width: 120px" value="Delight customers so much" title="Delight customers so much">
            <div class="field"><div class="mud-input-slot titled" title="Run a platform customers can bet on" style="width: 120px; white-space: nowrap; overflow: hidden">Run a platform customers can bet on</div></div>
            """);
        Assert.Contains(problems, p => p.StartsWith("clipped text: input.cut \"Delight customers so much they", StringComparison.Ordinal) && p.Contains("wider than its field", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("clipped text: select.cut \"Lumen Analytics (company)\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("clipped text: div.mud-input-slot \"Microsoft Teams channel\"", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains(".titled", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public async Task TextCutByItsBoxIsCaughtUnlessATitleCarriesIt()
    {
        var problems = await ProbeAsync("""
            <div class="clip">A title far too long for its box</div>
            <div class="ellipsis">Another title cut behind an ellipsis</div>
            <div class="ellipsis" title="Something else entirely">Third title, a title that does not help</div>
            <div class="short">Two lines of text in a box one line high, the second one hidden for good</div>
            """);
        Assert.Contains(problems, p => p.StartsWith("clipped text: div.clip \"A title far too long", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("clipped text: div.ellipsis \"Another title cut", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("clipped text: div.ellipsis \"Third title", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("clipped text: div.short \"Two lines", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TextCutByACardThatHidesItsOverflowIsCaught()
    {
        var problems = await ProbeAsync("""
            <div class="card" style="height: 36px; overflow: hidden">
              <div>First line fits</div><div>Second line fits</div><div>Third line is below the card's bottom edge</div>
            </div>
            """);
        Assert.Contains(problems, p => p.StartsWith("clipped text: div \"Third line is below", StringComparison.Ordinal) && p.Contains("cut by div.card", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CardsDrawnOverEachOtherAreCaught()
    {
        var problems = await ProbeAsync("""
            <div class="card">First card with some text</div>
            <div class="card pulled-up">Second card pulled over the first</div>
            """);
        Assert.Contains(problems, p => p.StartsWith("overlap: div.card \"First card", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TextSpillingOntoItsNeighbourIsCaught()
    {
        var problems = await ProbeAsync("""
            <div style="display: flex; gap: 0">
              <div style="width: 80px; white-space: nowrap">A label much wider than its column</div>
              <div style="width: 200px">Neighbour text</div>
            </div>
            """);
        Assert.Contains(problems, p => p.StartsWith("overlap: div \"A label much wider", StringComparison.Ordinal) && p.Contains("Neighbour text", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APanelWithAHeadingAndNothingElseIsCaught()
    {
        var problems = await ProbeAsync("""
            <section class="card"><h2>Latest updates</h2><ul></ul></section>
            <section class="card"><h2>Contributes to</h2><p>Become the analytics platform</p></section>
            """);
        Assert.Single(problems, p => p.StartsWith("empty panel:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("empty panel: section.card \"Latest updates\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APlaceholderOneWordALineIsCaught()
    {
        var problems = await ProbeAsync("""<div class="narrow">Check-ins appear here the moment they land.</div>""");
        Assert.Contains(problems, p => p.StartsWith("squeezed text: div.narrow \"Check-ins appear", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ImpossibleNumbersAreCaught()
    {
        var problems = await ProbeAsync("""
            <p class="a">Progress NaN %</p>
            <p class="b">Ahead by Infinity</p>
            <p class="c">Score -0 %</p>
            <p class="d">Uptime 140 %</p>
            <p class="e">Done −12 %</p>
            <p class="f">Reached 4200 %</p>
            """);
        foreach (var cls in new[] { "a", "b", "c", "d", "e", "f" })
            Assert.Contains(problems, p => p.StartsWith($"impossible number: p.{cls} ", StringComparison.Ordinal));
        Assert.Equal(6, problems.Count);
    }
}
