using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// The Import / export page in a real browser, as an admin uses it: download the current cycle as JSON, edit it,
/// upload it, read the dry run's tables (a create, a change, a check-in), apply, and see the result; a broken CSV file
/// shows its refusals by row and column and cannot be applied. A viewer downloads but is offered no import.
/// </summary>
public sealed class ImportExportPageTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAdminDownloadsEditsUploadsSeesTheDiffAndApplies()
    {
        var page = await host.OpenAsync("/import-export", 1920, 1080);
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=export-json]").ClickAsync());
        Assert.EndsWith(".json", download.SuggestedFilename);
        var exported = JsonNode.Parse(await File.ReadAllTextAsync((await download.PathAsync())!, Ct))!.AsObject();
        Assert.Equal("okrgrid.cycle/1", (string?)exported["format"]);
        var cycle = (string)exported["cycle"]!["id"]!;

        // The edit a person would make in the file: a new team objective found by its title path, a renamed
        // objective, a check-in on an existing key result.
        var objectives = exported["objectives"]!.AsArray();
        var top = objectives.First(o => !exported["alignment"]!.AsArray().Any(e => (string?)e!["child"] == (string?)o!["id"]))!;
        var topPath = (string)top["path"]!;
        objectives.Add(new JsonObject { ["path"] = $"{topPath} / Imported from the browser", ["title"] = "Imported from the browser", ["ownerKind"] = "team", ["ownerId"] = "growth" });
        exported["alignment"]!.AsArray().Add(new JsonObject { ["parent"] = topPath, ["child"] = $"{topPath} / Imported from the browser", ["weight"] = 1 });
        var renamed = objectives.Last(o => o!["id"] is not null)!;
        var oldTitle = (string)renamed["title"]!;
        renamed["title"] = oldTitle + " (renamed)";
        var keyResult = exported["keyResults"]!.AsArray().First(k => (string?)k!["kind"] == "increase")!;
        exported["checkIns"]!.AsArray().Add(new JsonObject
        {
            ["keyResult"] = (string)keyResult["id"]!, ["at"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"),
            ["value"] = (double)keyResult["start"]! + 0.5, ["note"] = "from the import page",
        });
        var file = Path.Combine(Path.GetTempPath(), $"okrgrid-edited-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, exported.ToJsonString(), Ct);
        var before = await host.Web.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycle}/snapshot", OkrGrid.Tests.Live.DemoHostFixture.Json, Ct);

        try
        {
            await page.Locator("input[type=file]").Last.SetInputFilesAsync(file);
            await Expect(page.Locator("[data-testid=import-diff]")).ToBeVisibleAsync();
            await Expect(page.Locator("[data-testid=creates]")).ToContainTextAsync("Imported from the browser");
            await Expect(page.Locator("[data-testid=updates]")).ToContainTextAsync(oldTitle + " (renamed)");
            await Expect(page.Locator("[data-testid=entries]")).ToContainTextAsync((string)keyResult["title"]!);
            await Expect(page.Locator("[data-testid=count-refusals]")).ToHaveTextAsync("0 refusals");
            await Expect(page.Locator("[data-testid=import-apply]")).ToBeEnabledAsync();
            // A dry run: nothing changed yet.
            var during = await host.Web.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycle}/snapshot", OkrGrid.Tests.Live.DemoHostFixture.Json, Ct);
            Assert.Equal(before!.Objectives, during!.Objectives);
            await host.AssertLaidOutAsync(page, "import-export-diff-1920");

            await page.Locator("[data-testid=import-apply]").ClickAsync();
            await Expect(page.Locator("[data-testid=import-applied]")).ToContainTextAsync($"Imported into {cycle}");
            var after = await host.Web.Client.GetFromJsonAsync<CycleSnapshot>($"/api/cycles/{cycle}/snapshot", OkrGrid.Tests.Live.DemoHostFixture.Json, Ct);
            var created = after!.Objectives.Single(o => o.Title == "Imported from the browser");
            Assert.Contains(after.Edges, e => e.ChildId == created.Id && e.ParentId == (string)top["id"]! || e.ChildId == created.Id && e.ParentId == $"{cycle}:{top["id"]}");
            Assert.Contains(after.Objectives, o => o.Title == oldTitle + " (renamed)");

            // The same file again: nothing left to change.
            await page.Locator("input[type=file]").Last.SetInputFilesAsync(file);
            await Expect(page.Locator("[data-testid=no-change]")).ToBeVisibleAsync();
            await Expect(page.Locator("[data-testid=import-apply]")).ToBeDisabledAsync();

            // And the new objective is on the alignment page.
            await page.Locator("[data-testid=import-applied], [data-testid=import-diff]").First.WaitForAsync();
            await page.GotoAsync("/alignment");
            await BrowserHost.WaitInteractiveAsync(page);
            await Expect(page.GetByText("Imported from the browser").First).ToBeVisibleAsync();
        }
        finally
        {
            File.Delete(file);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task ABrokenCsvFileShowsItsRefusalsByRowAndColumnAndCannotBeApplied()
    {
        var page = await host.OpenAsync("/import-export", 1366, 768);
        var csv = "parent,child,weight\nno-such-objective,also-missing,1\n";
        await page.Locator("input[type=file]").Last.SetInputFilesAsync(new FilePayload
        {
            Name = "alignment.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv),
        });
        var refusals = page.Locator("[data-testid=refusals]");
        await Expect(refusals).ToBeVisibleAsync();
        await Expect(refusals.Locator("tbody tr").First).ToContainTextAsync("alignment.csv");
        await Expect(refusals.Locator("tbody tr").First).ToContainTextAsync("2");
        await Expect(refusals.Locator("tbody tr").First).ToContainTextAsync("parent");
        await Expect(refusals).ToContainTextAsync("unknown parent");
        await Expect(page.Locator("[data-testid=import-apply]")).ToBeDisabledAsync();
        await host.AssertLaidOutAsync(page, "import-export-refusals-1366");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AViewerMayDownloadButIsOfferedNoImport()
    {
        var page = await host.OpenAsync("/import-export", 1366, 768, user: "board-observer");
        await Expect(page.Locator("[data-testid=export-csv]")).ToBeVisibleAsync();
        await Expect(page.Locator("input[type=file]")).ToHaveCountAsync(0);
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=export-csv]").ClickAsync());
        Assert.EndsWith(".zip", download.SuggestedFilename);
        await host.AssertLaidOutAsync(page, "import-export-viewer-1366");
        await page.Context.CloseAsync();
    }
}
