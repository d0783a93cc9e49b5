using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// The planner in a real browser on its own seeded host (applying a scenario changes the demo's alignment, which the
/// dashboard tests must not see): create a scenario, move a key result to another team's objective, read the
/// before/after table and the tree, see an invalid move's reason, remove it, apply with confirmation, and find the
/// simulated "after" live on the objective page and in the alignment tree.
/// </summary>
public sealed class PlannerTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static async Task<string> CurrentCycleAsync(BrowserHost host)
    {
        var org = await host.Web.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/organisation", TestContext.Current.CancellationToken);
        return org.GetProperty("cycles")[0].GetProperty("definition").GetProperty("id").GetString()!;
    }

    private static async Task CheckInAsync(BrowserHost host, string keyResultId, double value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{keyResultId}/check-ins")
        {
            Content = JsonContent.Create(new { value, confidence = 0.8, note = "from the planner test" }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        var response = await host.Web.Client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Waits until the cycle's scores stop changing: two reads of its snapshot, half a second apart, agree.</summary>
    private static async Task SettledAsync(BrowserHost host, string cycle)
    {
        string? last = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(500, TestContext.Current.CancellationToken))
        {
            var snapshot = await host.Web.Client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/cycles/{cycle}/snapshot", TestContext.Current.CancellationToken);
            var scores = snapshot.GetProperty("scores").GetRawText();
            if (scores == last) return;
            last = scores;
        }
        throw new TimeoutException($"The scores of cycle {cycle} kept changing for 20 s.");
    }

    /// <summary>Types into a node search and picks the option with that id from its list.</summary>
    private async Task PickAsync(IPage page, ILocator search, string text, string id, string? screenshot = null)
    {
        var input = search.Locator("input");
        await input.ClickAsync();
        await input.FillAsync(text);
        var option = page.Locator($".okr-nodesearch__item[data-option='{id}']");
        await Expect(option).ToBeVisibleAsync();
        // Pick from the list the text filtered, as a person reads it first: the option may already show in the list the
        // click opened, and a pick inside the search's 150 ms debounce is followed by the typed search opening the list
        // again (a flaw of the field, seen once under CI load).
        var words = text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await page.WaitForFunctionAsync("""
            words => [...document.querySelectorAll('.okr-nodesearch__item')].filter(e => e.offsetParent !== null)
                .every(e => words.every(w => e.innerText.toLowerCase().includes(w)))
            """, words);
        if (screenshot is not null) await host.ScreenshotAsync(page, screenshot);
        await option.ClickAsync();
        await Expect(page.Locator(".okr-nodesearch__item:visible")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task MoveAKeyResultSeeEveryAncestorRefuseALoopThenApplyAndFindTheSimulatedValuesLive()
    {
        var cycle = await CurrentCycleAsync(host);
        string Id(string local) => $"{cycle}:{local}";

        // ---- a new scenario ----
        var page = await host.OpenAsync("/planner");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Planner");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Expansion under Customers");
        // Its author is whoever is signed in (Maya, the demo's admin): the list says so below.
        await page.Locator(".okr-newscenario__create").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/planner/expansion-under-customers-[0-9a-f]{6}$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Expansion under Customers");
        var scenarioUrl = page.Url;

        // ---- move Growth's "seats per account" key result under Mobile's quality objective, picked from the tree ----
        await PickAsync(page, page.Locator(".okr-addmove__kr"), "seats sofia", Id("expansion-seats"), "planner-search");
        await page.GetByRole(AriaRole.Button, new() { Name = "Browse the objective tree" }).ClickAsync();
        var picker = page.Locator(".okr-picker");
        await Expect(picker.Locator($"[data-option='{Id("growth-expansion")}'] .okr-picker__current")).ToHaveTextAsync("current");
        await picker.Locator($"[data-option='{Id("mobile-quality")}']").ClickAsync();
        await host.ScreenshotAsync(page, "planner-tree-picker");
        await Expect(page.Locator(".okr-addmove__parent input")).ToHaveValueAsync("A mobile app people rate five stars");
        await page.Locator(".okr-addmove__add").First.ClickAsync();

        // Every ancestor on the old chain (Growth → the growth company objective) and on the new one (Mobile → customers).
        var rows = page.Locator(".okr-impact__row");
        await Expect(rows).ToHaveCountAsync(4);
        var order = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.node)");
        Assert.Equal(
            new[] { Id("growth-expansion"), Id("mobile-quality"), Id("co-growth"), Id("co-customers") }.Order(),
            order.Order());
        var deltas = await rows.EvaluateAllAsync<double[]>("rows => rows.map(r => Math.abs(parseFloat(r.dataset.delta)))");
        // Sorted by the size of the change (changes equal to 12 digits are ties, ordered by status change then name).
        Assert.All(deltas.Zip(deltas.Skip(1)), pair => Assert.True(pair.First >= pair.Second - 1e-12, $"{pair.First} before {pair.Second}"));
        await Expect(page.Locator($".okr-impact__row[data-node='{Id("growth-expansion")}'] .okr-chain")).ToHaveAttributeAsync("data-chain", "old");
        await Expect(page.Locator($".okr-impact__row[data-node='{Id("mobile-quality")}'] .okr-chain")).ToHaveAttributeAsync("data-chain", "new");
        await Expect(page.Locator($".okr-impact__row[data-node='{Id("co-customers")}'] .okr-chain")).ToHaveAttributeAsync("data-chain", "new");
        // The tree: the key result leaves its old parent and joins the new one.
        var moved = page.Locator($".okr-plantree__node[data-node='{Id("expansion-seats")}']");
        await Expect(moved).ToHaveCountAsync(2);
        await Expect(page.Locator($".okr-plantree__node[data-node='{Id("growth-expansion")}'] > .okr-plantree__list > [data-node='{Id("expansion-seats")}']"))
            .ToHaveAttributeAsync("data-edge", "removed");
        await Expect(page.Locator($".okr-plantree__node[data-node='{Id("mobile-quality")}'] > .okr-plantree__list > [data-node='{Id("expansion-seats")}']"))
            .ToHaveAttributeAsync("data-edge", "added");
        // Alignment effects: Growth now carries part of the customers objective.
        await Expect(page.Locator($".okr-effects__company[data-company='{Id("co-customers")}'] .okr-effects__team[data-team='Growth']")).ToContainTextAsync("0%");
        await Expect(page.Locator(".okr-sens__item").First).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "planner-workspace", fullPage: true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle dark theme" }).ClickAsync();
        await Expect(page.Locator(".okr-theme-dark")).ToHaveCountAsync(1);
        await host.ScreenshotAsync(page, "planner-workspace-dark");
        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle dark theme" }).ClickAsync();
        await Expect(page.Locator(".okr-theme-light")).ToHaveCountAsync(1);

        // ---- an invalid move: the growth company objective under its own child ----
        await page.Locator(".mud-tab", new() { HasText = "Re-align objective" }).ClickAsync();
        await PickAsync(page, page.Locator(".okr-addmove__objective"), "analytics platform", Id("co-growth"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a parent" }).ClickAsync();
        await PickAsync(page, page.Locator(".okr-addmove__realign-parent"), "sign-ups", Id("growth-activation"));
        await page.Locator(".okr-addmove__add").First.ClickAsync();
        var rejected = page.Locator(".okr-move--rejected");
        await Expect(rejected).ToHaveCountAsync(1);
        await Expect(rejected.Locator(".okr-move__field")).ToHaveTextAsync("parents[0].parentId");
        await Expect(rejected.Locator(".okr-move__reason")).ToContainTextAsync("would make a loop");
        // The cycle takes all moves or none: Apply applies the one kept and says what becomes of the one left out.
        await Expect(page.Locator(".okr-planner__apply")).ToHaveTextAsync("Apply 1 move");
        await Expect(page.Locator(".okr-planner__apply-note")).ToContainTextAsync("1 move left out is not applied");
        await Expect(rows).ToHaveCountAsync(4); // left out: the impact is the first move's alone
        await rejected.ScrollIntoViewIfNeededAsync();
        await host.ScreenshotAsync(page, "planner-invalid-move");

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove move 2" }).ClickAsync();
        await Expect(page.Locator(".okr-move")).ToHaveCountAsync(1);
        await Expect(rejected).ToHaveCountAsync(0);

        // ---- the scenario is durable and shared by its address ----
        await page.GotoAsync(scenarioUrl);
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-move")).ToHaveCountAsync(1);
        await Expect(rows).ToHaveCountAsync(4);

        // ---- a check-in under the new parent: the moves land the same way, so no warning — only a quiet note that the
        // numbers may have moved, and Re-simulate catches up ----
        var mobileBefore = await page.Locator($".okr-impact__row[data-node='{Id("mobile-quality")}']").GetAttributeAsync("data-after");
        await CheckInAsync(host, Id("mobile-rating"), 4.55);
        var drift = page.Locator(".okr-planner__drift");
        await Expect(drift).ToContainTextAsync("the moves land the same way");
        await Expect(page.Locator(".okr-planner__stale")).ToHaveCountAsync(0);
        // Re-simulate once the roll-up has reached the top everywhere (the check-in may also climb through parents the
        // scenario does not show).
        await SettledAsync(host, cycle);
        await Expect(page.Locator($".okr-impact__row[data-node='{Id("mobile-quality")}']")).ToHaveAttributeAsync("data-after", mobileBefore!);
        await host.ScreenshotAsync(page, "planner-numbers-moved");
        await drift.GetByRole(AriaRole.Button, new() { Name = "Re-simulate" }).ClickAsync();
        await Expect(drift).ToHaveCountAsync(0);
        await Expect(page.Locator($".okr-impact__row[data-node='{Id("mobile-quality")}']")).Not.ToHaveAttributeAsync("data-after", mobileBefore!);

        var afterCustomers = double.Parse(await page.Locator($".okr-impact__row[data-node='{Id("co-customers")}']").GetAttributeAsync("data-after") ?? "",
            System.Globalization.CultureInfo.InvariantCulture);
        var afterGrowth = double.Parse(await page.Locator($".okr-impact__row[data-node='{Id("co-growth")}']").GetAttributeAsync("data-after") ?? "",
            System.Globalization.CultureInfo.InvariantCulture);

        // ---- apply, confirmed ----
        await page.Locator(".okr-planner__apply").ClickAsync();
        var dialog = page.Locator(".okr-apply-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator(".okr-move")).ToHaveCountAsync(1);
        await Expect(dialog).ToContainTextAsync("all of them, or none");
        await host.ScreenshotAsync(page, "planner-apply-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Apply 1 move" }).ClickAsync();
        await Expect(page.Locator(".okr-planner__applied")).ToBeVisibleAsync();
        await Expect(page.Locator(".okr-scstate").First).ToHaveTextAsync("Applied");
        // The live values arrive beside the simulated ones, and match.
        await Expect(page.Locator($".okr-impact__row[data-node='{Id("co-customers")}'] .okr-impact__match")).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(500); // the apply's own structure change has landed by now
        await Expect(page.Locator(".okr-move--rejected")).ToHaveCountAsync(0); // what was applied, not re-simulated on its result
        await Expect(page.Locator(".okr-addmove")).ToHaveCountAsync(0);
        await host.ScreenshotAsync(page, "planner-applied", fullPage: true);

        // ---- reopened later, by its address: what was simulated, beside the live values ----
        await page.GotoAsync(scenarioUrl);
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-scstate").First).ToHaveTextAsync("Applied");
        await Expect(page.Locator(".okr-planner__impact")).ToContainTextAsync("Simulated before applying");
        await Expect(page.Locator($".okr-impact__row[data-node='{Id("co-customers")}'] .okr-impact__match")).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "planner-applied-reopened", fullPage: true);

        // ---- the dashboards show what was simulated ----
        await page.GotoAsync($"/objectives/{Id("co-customers")}");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-hero .okr-fact__value").Nth(1)).ToHaveTextAsync(Pct(afterCustomers));
        await Expect(page.Locator($".okr-row[data-node='{Id("mobile-quality")}']")).ToBeVisibleAsync();

        await page.GotoAsync("/alignment");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator($".okr-tree__node[data-node='{Id("co-growth")}'] > .okr-tree__row .okr-tree__pct")).ToHaveTextAsync(Pct(afterGrowth));
        await Expect(page.Locator($".okr-tree__node[data-node='{Id("co-customers")}'] > .okr-tree__row .okr-tree__pct")).ToHaveTextAsync(Pct(afterCustomers));

        // ---- the list: this one, and another still open ----
        var ct = TestContext.Current.CancellationToken;
        using var daniel = await WebSessions.DemoSignInAsync(host.Web.BaseAddress, "daniel-reyes");
        var other = await daniel.PostAsJsonAsync("/api/scenarios", new { name = "Design research under Growth" }, ct);
        other.EnsureSuccessStatusCode();
        var otherId = (await other.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct)).GetProperty("id").GetString();
        (await host.Web.Client.PostAsJsonAsync($"/api/scenarios/{otherId}/moves",
            new { kind = "moveKeyResult", keyResultId = Id("research-reports"), objectiveId = Id("growth-activation") }, ct)).EnsureSuccessStatusCode();
        await page.GotoAsync("/planner");
        await BrowserHost.WaitInteractiveAsync(page);
        var listed = page.Locator(".okr-table tbody tr", new() { HasText = "Expansion under Customers" });
        await Expect(listed).ToContainTextAsync("Expansion under Customers");
        await Expect(listed.Locator(".okr-scstate")).ToHaveTextAsync("Applied");
        await Expect(listed).ToContainTextAsync("Maya Okafor");
        await host.ScreenshotAsync(page, "planner-list");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AnUnknownScenarioSaysSoAndDiscardingAsksFirstAndChangesNothing()
    {
        var page = await host.OpenAsync("/planner/no-such-scenario-000000");
        await Expect(page.Locator(".okr-empty__title")).ToHaveTextAsync("No such scenario");

        await page.GotoAsync("/planner");
        await BrowserHost.WaitInteractiveAsync(page);
        await page.Locator(".okr-newscenario__create").ClickAsync();
        await Expect(page.Locator(".okr-newscenario__name")).ToContainTextAsync("Give the scenario a name.");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Throwaway");
        await page.Locator(".okr-newscenario__create").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Throwaway");
        await Expect(page.Locator(".okr-moves__empty")).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "planner-new-scenario");

        // Renamed in place: an empty name is refused and changes nothing; Enter saves, and the list has the new name.
        await page.Locator(".okr-planner__rename-start").ClickAsync();
        var name = page.Locator(".okr-planner__rename-field input");
        await name.FillAsync(" ");
        await page.Locator(".okr-planner__rename-save").ClickAsync();
        await Expect(page.Locator(".okr-planner__rename")).ToContainTextAsync("Give the scenario a name.");
        await host.ScreenshotAsync(page, "planner-rename");
        await name.FillAsync("Throwaway: weights only");
        await name.PressAsync("Enter");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Throwaway: weights only");
        var scenarioId = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        var ct = TestContext.Current.CancellationToken;
        var list = await host.Web.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/scenarios", ct);
        Assert.Equal("Throwaway: weights only", list.EnumerateArray().Single(s => s.GetProperty("id").GetString() == scenarioId).GetProperty("name").GetString());

        // A weight change: the objective's share in its parent grows, and the impact says what that does.
        var cycle = await CurrentCycleAsync(host);
        await page.Locator(".mud-tab", new() { HasText = "Change weight" }).ClickAsync();
        await PickAsync(page, page.Locator(".okr-addmove__child"), "five stars", $"{cycle}:mobile-quality");
        await Expect(page.Locator(".okr-addmove__edge")).ToContainTextAsync("Delight customers so much they recommend us");
        await page.Locator(".okr-addmove__weight input").FillAsync("3");
        await page.Locator(".okr-addmove__add").First.ClickAsync();
        await Expect(page.Locator(".okr-move")).ToContainTextAsync("×1 → ×3");
        await Expect(page.Locator($".okr-impact__row[data-node='{cycle}:co-customers']")).ToBeVisibleAsync();
        await Expect(page.Locator($".okr-plantree__node[data-node='{cycle}:mobile-quality']")).ToHaveAttributeAsync("data-edge", "reweighted");

        await page.Locator(".okr-planner__discard").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
        await Expect(page.Locator(".okr-scstate").First).ToHaveTextAsync("Open");
        await page.Locator(".okr-planner__discard").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Discard" }).ClickAsync();
        await Expect(page.Locator(".okr-planner__discarded")).ToBeVisibleAsync();
        await Expect(page.Locator(".okr-scstate").First).ToHaveTextAsync("Discarded");
        await Expect(page.Locator(".okr-addmove")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AnotherPlannersChangesShowUpLiveInTheListAndOnTheScenario()
    {
        var cycle = await CurrentCycleAsync(host);
        var ct = TestContext.Current.CancellationToken;
        var client = host.Web.Client;

        // The list, open in one browser, gets a scenario another planner creates (here through the API).
        var page = await host.OpenAsync("/planner");
        using var sofia = await WebSessions.DemoSignInAsync(host.Web.BaseAddress, "sofia-alvarez");
        var created = await sofia.PostAsJsonAsync("/api/scenarios", new { name = "Research under Growth" }, ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct)).GetProperty("id").GetString()!;
        var row = page.Locator($".okr-table tbody tr[data-scenario='{id}']");
        await Expect(row).ToContainTextAsync("Research under Growth");
        await Expect(row).ToContainTextAsync("Sofia Álvarez");

        // The scenario's page follows its moves, name and state as someone else changes them.
        await page.GotoAsync($"/planner/{id}");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator(".okr-moves__empty")).ToBeVisibleAsync();
        (await client.PostAsJsonAsync($"/api/scenarios/{id}/moves",
            new { kind = "moveKeyResult", keyResultId = $"{cycle}:research-reports", objectiveId = $"{cycle}:growth-activation" }, ct)).EnsureSuccessStatusCode();
        await Expect(page.Locator(".okr-move")).ToHaveCountAsync(1);
        await Expect(page.Locator($".okr-impact__row[data-node='{cycle}:growth-activation']")).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "planner-edited-elsewhere");
        (await client.PatchAsJsonAsync($"/api/scenarios/{id}", new { name = "Research under Growth (v2)" }, ct)).EnsureSuccessStatusCode();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Research under Growth (v2)");
        (await client.PostAsync($"/api/scenarios/{id}/discard", null, ct)).EnsureSuccessStatusCode();
        await Expect(page.Locator(".okr-scstate").First).ToHaveTextAsync("Discarded");
        await Expect(page.Locator(".okr-addmove")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task WhenTheLiveGraphNoLongerTakesTheMovesApplyShowsTheEnginesRefusalAndChangesNothing()
    {
        var cycle = await CurrentCycleAsync(host);
        string Id(string local) => $"{cycle}:{local}";
        var ct = TestContext.Current.CancellationToken;
        async Task<string> ScenarioAsync(string name, object move)
        {
            var created = await host.Web.Client.PostAsJsonAsync("/api/scenarios", new { name }, ct);
            created.EnsureSuccessStatusCode();
            var id = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct)).GetProperty("id").GetString()!;
            (await host.Web.Client.PostAsJsonAsync($"/api/scenarios/{id}/moves", move, ct)).EnsureSuccessStatusCode();
            return id;
        }

        // Fresh data under delivery: valid on the graph as it is.
        var mine = await ScenarioAsync("Freshness under delivery",
            new { kind = "realignObjective", objectiveId = Id("data-freshness"), parents = new[] { new { parentId = Id("pe-delivery"), weight = 1.0 } } });
        var page = await host.OpenAsync($"/planner/{mine}");
        await Expect(page.Locator(".okr-impact__row").First).ToBeVisibleAsync();
        await Expect(page.Locator(".okr-move--rejected")).ToHaveCountAsync(0);
        // Fresh data leaves Insight (under the growth objective) for Delivery (under reliability): it stops
        // contributing to the one and starts contributing to the other.
        await Expect(page.Locator($".okr-effects__company[data-company='{Id("co-reliability")}'] .okr-effects__member--joined"))
            .ToContainTextAsync("Fresh data, every time");
        await Expect(page.Locator($".okr-effects__company[data-company='{Id("co-growth")}'] .okr-effects__member--left"))
            .ToContainTextAsync("Fresh data, every time");
        await page.Locator(".okr-planner__effects").ScrollIntoViewIfNeededAsync();
        await host.ScreenshotAsync(page, "planner-realign-contributors");

        // Meanwhile someone applies the opposite: delivery under fresh data. Mine would now make a loop.
        var theirs = await ScenarioAsync("Delivery under freshness",
            new { kind = "realignObjective", objectiveId = Id("pe-delivery"), parents = new[] { new { parentId = Id("data-freshness"), weight = 1.0 } } });
        (await host.Web.Client.PostAsync($"/api/scenarios/{theirs}/apply", null, ct)).EnsureSuccessStatusCode();
        await Expect(page.Locator(".okr-planner__stale")).ToBeVisibleAsync();

        await page.Locator(".okr-planner__apply").ClickAsync();
        var dialog = page.Locator(".okr-apply-dialog");
        await Expect(dialog).ToContainTextAsync("The live graph changed since the simulation");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Apply 1 move" }).ClickAsync();
        var refusal = dialog.Locator(".okr-apply-dialog__refusal");
        await Expect(refusal).ToContainTextAsync("Not applied — nothing changed.");
        await Expect(refusal.Locator("code")).ToHaveTextAsync("moves[0].parents[0].parentId");
        await Expect(refusal).ToContainTextAsync("would make a loop");
        await host.ScreenshotAsync(page, "planner-apply-refused");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.Locator(".okr-scstate").First).ToHaveTextAsync("Open");

        // Re-simulating shows why, in place.
        await page.Locator(".okr-planner__resimulate").ClickAsync();
        await Expect(page.Locator(".okr-move--rejected .okr-move__reason")).ToContainTextAsync("would make a loop");
        await page.Context.CloseAsync();
    }

    /// <summary>A scenario made through the API as the test client (the demo's admin), with these moves.</summary>
    private static async Task<string> ScenarioAsync(BrowserHost host, string name, params object[] moves)
    {
        var ct = TestContext.Current.CancellationToken;
        var created = await host.Web.Client.PostAsJsonAsync("/api/scenarios", new { name }, ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct)).GetProperty("id").GetString()!;
        foreach (var move in moves) (await host.Web.Client.PostAsJsonAsync($"/api/scenarios/{id}/moves", move, ct)).EnsureSuccessStatusCode();
        return id;
    }

    private static async Task AlignAsync(BrowserHost host, string objectiveId, string parentId)
    {
        var response = await host.Web.Client.PutAsJsonAsync($"/api/objectives/{objectiveId}/parents",
            new { parents = new[] { new { parentId, weight = 1.0 } } }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task ApplyCountsTheMovesItAppliesAndEveryMoveLeftOutSaysWhy()
    {
        var cycle = await CurrentCycleAsync(host);
        string Id(string local) => $"{cycle}:{local}";
        // On-call runbooks under the paved road (fine), and platform reliability under its own child (a loop).
        var id = await ScenarioAsync(host, "Runbooks on the paved road",
            new { kind = "moveKeyResult", keyResultId = Id("oncall-runbooks"), objectiveId = Id("platform-paved-road") },
            new { kind = "realignObjective", objectiveId = Id("platform-reliability"), parents = new[] { new { parentId = Id("tomasz-oncall"), weight = 1.0 } } });
        var page = await host.OpenAsync($"/planner/{id}");
        var rejected = page.Locator(".okr-move--rejected");
        await Expect(rejected).ToHaveCountAsync(1);
        await Expect(rejected).ToHaveAttributeAsync("data-move", "1");
        await Expect(rejected.Locator(".okr-move__reason")).ToContainTextAsync("would make a loop");
        // The button counts what reaches the live graph, and says beside it — not in a tooltip a disabled button never
        // shows — what becomes of the move left out.
        var apply = page.Locator(".okr-planner__apply");
        await Expect(apply).ToHaveTextAsync("Apply 1 move");
        await Expect(apply).ToBeEnabledAsync();
        await Expect(page.Locator(".okr-planner__apply-note")).ToHaveTextAsync("1 move left out is not applied: applying removes it from the scenario.");
        await host.ScreenshotAsync(page, "planner-apply-with-left-out");

        await apply.ClickAsync();
        var dialog = page.Locator(".okr-apply-dialog");
        await Expect(dialog).ToContainTextAsync("1 move will change the live alignment");
        await Expect(dialog.Locator(".okr-move:not(.okr-move--rejected)")).ToHaveCountAsync(1);
        await Expect(dialog.Locator(".okr-move:not(.okr-move--rejected)")).ToContainTextAsync("Write runbooks for the 10 noisiest alerts");
        var leftOut = dialog.Locator(".okr-apply-dialog__leftout .okr-move--rejected");
        await Expect(leftOut).ToHaveCountAsync(1);
        await Expect(leftOut.Locator(".okr-move__reason")).ToContainTextAsync("would make a loop");
        await host.ScreenshotAsync(page, "planner-apply-dialog-left-out");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Apply 1 move" }).ClickAsync();

        await Expect(page.Locator(".okr-planner__applied")).ToBeVisibleAsync();
        // What was applied is what the scenario keeps: the move left out is gone from it, the live graph has the other.
        await Expect(page.Locator(".okr-move")).ToHaveCountAsync(1);
        var ct = TestContext.Current.CancellationToken;
        var snapshot = await host.Web.Client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/cycles/{cycle}/snapshot", ct);
        var parents = snapshot.GetProperty("edges").EnumerateArray()
            .Where(e => e.GetProperty("childId").GetString() == Id("oncall-runbooks")).Select(e => e.GetProperty("parentId").GetString()).ToList();
        Assert.Equal([Id("platform-paved-road")], parents);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CheckInsDoNotWarnButAStructureChangeThatMovesTheChainsDoesUntilItIsUndone()
    {
        var cycle = await CurrentCycleAsync(host);
        string Id(string local) => $"{cycle}:{local}";
        // CI checks leave the paved road for the design system: both under delivery.
        var id = await ScenarioAsync(host, "CI under the design system",
            new { kind = "moveKeyResult", keyResultId = Id("paved-ci"), objectiveId = Id("design-system") });
        var page = await host.OpenAsync($"/planner/{id}");
        await Expect(page.Locator($".okr-impact__row[data-node='{Id("design-system")}']")).ToBeVisibleAsync();
        var stale = page.Locator(".okr-planner__stale");
        var drift = page.Locator(".okr-planner__drift");

        // A check-in below an objective it shows (what the demo's activity does all day): a note, no warning.
        await CheckInAsync(host, Id("paved-ci"), 15);
        await Expect(drift).ToBeVisibleAsync();
        await Expect(stale).ToHaveCountAsync(0);

        // The design system moves under the customers objective: the move now reaches another company objective.
        await AlignAsync(host, Id("design-system"), Id("co-customers"));
        await Expect(stale).ToBeVisibleAsync();
        await Expect(stale.Locator(".okr-planner__changes")).ToContainTextAsync("Delight customers so much they recommend us");
        await Expect(drift).ToHaveCountAsync(0);
        await host.ScreenshotAsync(page, "planner-structure-changed");

        // Put back where it was: the moves land as simulated again, and the warning goes.
        await AlignAsync(host, Id("design-system"), Id("pe-delivery"));
        await Expect(stale).ToHaveCountAsync(0);
        await Expect(drift).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task APickMadeWhileATypedSearchWaitsForItsDebounceIsNotCoveredByTheList()
    {
        var cycle = await CurrentCycleAsync(host);
        var id = await ScenarioAsync(host, "Picking in the tree");
        var page = await host.OpenAsync($"/planner/{id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Browse the objective tree" }).ClickAsync();
        var target = $"{cycle}:platform-paved-road";
        await Expect(page.Locator($".okr-picker [data-option='{target}']")).ToBeVisibleAsync();
        // From now on, note every time an objective list opens (the key result search below lists key results only).
        await page.EvaluateAsync("""
            () => {
              window.objectiveListsOpened = 0;
              let open = false;
              new MutationObserver(() => {
                const now = [...document.querySelectorAll('.okr-nodesearch__item .okr-kind--objective')].some(e => e.offsetParent !== null);
                if (now && !open) window.objectiveListsOpened++;
                open = now;
              }).observe(document.body, { childList: true, subtree: true, attributes: true });
            }
            """);
        // Type into the parent search and pick in the tree at once: the typed search is still waiting for its debounce.
        await page.EvaluateAsync("""
            target => {
              const input = document.querySelector('.okr-addmove__parent input');
              input.focus();
              input.value = 'reliab';
              input.dispatchEvent(new Event('input', { bubbles: true }));
              document.querySelector(`.okr-picker [data-option='${target}']`).click();
            }
            """, target);
        await Expect(page.Locator(".okr-addmove__parent input")).ToHaveValueAsync("Give every engineer a paved road to production");
        // A search typed after the pick has run, so the one typed before it (same debounce, started earlier) has too.
        var search = page.Locator(".okr-addmove__kr input");
        await search.ClickAsync();
        await search.FillAsync("runbooks");
        await Expect(page.Locator($".okr-nodesearch__item[data-option='{cycle}:oncall-runbooks']")).ToBeVisibleAsync();
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.objectiveListsOpened"));
        await Expect(page.Locator(".okr-addmove__parent input")).ToHaveValueAsync("Give every engineer a paved road to production");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task EveryMoveFormHasTheSameFieldStyleAndWeightWidth()
    {
        var cycle = await CurrentCycleAsync(host);
        var id = await ScenarioAsync(host, "Field styles");
        var page = await host.OpenAsync($"/planner/{id}");
        var fields = new List<string>();
        async Task ReadAsync() => fields.AddRange(await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.okr-addmove .mud-input-control')].filter(e => e.offsetParent !== null).map(e => {
              const input = e.querySelector('.mud-input');
              const variant = [...input.classList].filter(c => /^mud-input-(outlined|filled|text)$/.test(c)).join(' ');
              const margin = [...e.classList].filter(c => c.startsWith('mud-input-control-margin')).join(' ');
              const weight = e.classList.contains('okr-addmove__weight') ? ' weight ' + Math.round(e.getBoundingClientRect().width) + 'px' : '';
              return `${variant} ${margin} ${Math.round(input.getBoundingClientRect().height)}px${weight}`;
            })
            """));
        await Expect(page.Locator(".okr-addmove__weight")).ToBeVisibleAsync();
        await ReadAsync();
        await page.Locator(".mud-tab", new() { HasText = "Re-align objective" }).ClickAsync();
        await PickAsync(page, page.Locator(".okr-addmove__objective"), "paved road", $"{cycle}:platform-paved-road");
        await Expect(page.Locator(".okr-addmove__parentrow")).ToHaveCountAsync(1);
        await ReadAsync();
        await page.Locator(".mud-tab", new() { HasText = "Change weight" }).ClickAsync();
        await PickAsync(page, page.Locator(".okr-addmove__child"), "paved road", $"{cycle}:platform-paved-road");
        await Expect(page.Locator(".okr-addmove__edge")).ToContainTextAsync("Ship faster without breaking things");
        await ReadAsync();

        Assert.True(fields.Count >= 8, string.Join("; ", fields));
        var kinds = fields.Select(f => f.Split(" weight ")[0]).Distinct().ToList();
        Assert.True(kinds.Count == 1, "fields differ: " + string.Join("; ", kinds));
        var weights = fields.Where(f => f.Contains(" weight ", StringComparison.Ordinal)).Select(f => f.Split(" weight ")[1]).Distinct().ToList();
        Assert.True(weights.Count == 1, "weight fields differ in width: " + string.Join("; ", weights));
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(1920, 1080)]
    [InlineData(1366, 768)]
    public async Task AScenarioWithSeveralMovesOneRefusedIsLaidOutOnAWideAndALaptopScreen(int width, int height)
    {
        var cycle = await CurrentCycleAsync(host);
        string Id(string local) => $"{cycle}:{local}";
        var id = await ScenarioAsync(host, $"Layout at {width}",
            new { kind = "moveKeyResult", keyResultId = Id("offline-sync"), objectiveId = Id("platform-reliability"), weight = 2.0 },
            new { kind = "realignObjective", objectiveId = Id("pe-insight"), parents = new[] { new { parentId = Id("data-freshness"), weight = 1.0 } } },
            new { kind = "changeWeight", parentId = Id("co-customers"), childId = Id("customers-support"), weight = 2.5 });
        var page = await host.OpenAsync($"/planner/{id}", width, height);
        await Expect(page.Locator(".okr-move--rejected")).ToHaveCountAsync(1);
        await Expect(page.Locator(".okr-sens__item").First).ToBeVisibleAsync();
        await host.AssertLaidOutAsync(page, $"planner-scenario-{width}");
        await page.GotoAsync("/planner");
        await BrowserHost.WaitInteractiveAsync(page);
        await Expect(page.Locator($".okr-table tbody tr[data-scenario='{id}']")).ToBeVisibleAsync();
        await host.AssertLaidOutAsync(page, $"planner-list-{width}");
        await page.Context.CloseAsync();
    }

    private static string Pct(double fraction) => Math.Round(fraction * 100, MidpointRounding.AwayFromZero).ToString("0", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
