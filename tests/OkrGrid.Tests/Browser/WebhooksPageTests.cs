using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// The Webhooks page as a lead uses it, in a real browser: only their teams are offered, a webhook made there shows
/// its secret once, a ping shows up in its delivery log; a member has no such page. Looked at on a TV-sized and a
/// laptop-sized screen.
/// </summary>
public sealed class WebhooksPageTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task ALeadMakesAWebhookForTheirTeamPingsItAndReadsItsLog()
    {
        var page = await host.OpenAsync("/webhooks", 1920, 1080, user: "sofia-alvarez");
        await page.Locator("[data-testid=hook-scope]").ClickAsync();
        await Expect(page.Locator(".mud-popover-open .mud-list-item").First).ToBeVisibleAsync();
        var offered = await page.Locator(".mud-popover-open .mud-list-item").AllTextContentsAsync();
        Assert.Contains(offered, o => o.Contains("Growth", StringComparison.Ordinal));
        Assert.DoesNotContain(offered, o => o.Contains("(company)", StringComparison.Ordinal));
        await page.Keyboard.PressAsync("Escape");

        // A private address is refused, naming the field.
        await page.Locator("input[data-testid=hook-name]").FillAsync("Growth alerts");
        await page.Locator("input[data-testid=hook-url]").FillAsync("http://10.0.0.5/hook");
        await page.Locator("[data-testid=create-hook]").ClickAsync();
        await Expect(page.Locator(".mud-input-helper-text.mud-input-error")).ToContainTextAsync("non-public");

        await page.Locator("input[data-testid=hook-url]").FillAsync("https://hooks.example.com/services/T000/B000/abcdefghijklmnopqrstuvwx");
        await page.Locator("[data-testid=create-hook]").ClickAsync();
        await Expect(page.Locator("[data-testid=secret-value]")).ToContainTextAsync("whsec_");
        var row = page.Locator("[data-testid=hook-row]", new() { HasText = "Growth alerts" });
        await Expect(row).ToHaveCountAsync(1);
        // The address's secret-looking part is masked.
        await Expect(row).Not.ToContainTextAsync("abcdefghijklmnopqrstuvwx");
        await row.GetByText("Ping").ClickAsync();
        await Expect(page.Locator("[data-testid=hook-log]")).ToContainTextAsync("Test ping");
        await host.AssertLaidOutAsync(page, "webhooks-1920");
        await page.SetViewportSizeAsync(1366, 768);
        await host.AssertLaidOutAsync(page, "webhooks-1366");
        await page.Context.CloseAsync();

        // Refused before the page runs, as the other pages not for a role.
        var member = await (await host.NewContextAsync(1366, 768, user: "jonas-berg")).NewPageAsync();
        await member.GotoAsync("/webhooks");
        await Expect(member).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/denied"));
        await Expect(member.Locator("[data-testid=hook-table]")).ToHaveCountAsync(0);
        await member.Context.CloseAsync();
    }
}
