using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace OkrGrid.Tests.Webhooks;

/// <summary>
/// Outbound webhooks end to end on a real host and a real receiver: signed deliveries of status transitions, scope
/// filters, Slack and Teams payloads, retries with backoff, dead letters and redelivery, the delivery log, who may
/// manage webhooks, and the secret shown once and nowhere else.
/// </summary>
public sealed class WebhookDeliveryTests(HookHost host) : IClassFixture<HookHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IEnumerable<Received> For(WebhookReceiver.Inbox inbox, string nodeLocal) =>
        inbox.Accepted.Where(r => r.Json?["data"]?["nodeId"]?.GetValue<string>() == HookHost.Node(nodeLocal));

    [Fact]
    public async Task AStatusTransitionReachesTheReceiverSignedWithItsDeliveryIdAndEvent()
    {
        var inbox = host.Receiver["transitions"];
        await host.SubscribeAsync("transitions", ["status.changed", "status.offTrack"]);

        // 10 days into 30: on track needs ~0.33; 100 of 100 is on track, 0 is off track.
        Assert.Equal(Status.OnTrack, await host.CheckInAsync("k-platform-1", 100));
        await HookHost.UntilAsync(() => For(inbox, "k-platform-1").Any(r => r.Event == "status.changed"), "the on-track transition");
        Assert.Equal(Status.OffTrack, await host.CheckInAsync("k-platform-1", 0));
        await HookHost.UntilAsync(() => For(inbox, "k-platform-1").Count(r => r.Json!["data"]!["to"]!.GetValue<string>() == "offTrack") == 2,
            "status.changed and status.offTrack for the fall");

        var received = For(inbox, "k-platform-1").ToList();
        var first = received.First(r => r.Event == "status.changed");
        Assert.Equal(("noData", "onTrack"), (first.Json!["data"]!["from"]!.GetValue<string>(), first.Json["data"]!["to"]!.GetValue<string>()));
        Assert.Equal(first.DeliveryId, first.Json["id"]!.GetValue<string>());
        Assert.Equal("status.changed", first.Json["event"]!.GetValue<string>());
        Assert.Equal("platform key result 1", first.Json["data"]!["title"]!.GetValue<string>());
        Assert.Equal("platform", first.Json["data"]!["teamId"]!.GetValue<string>());
        var fall = received.Where(r => r.Json!["data"]!["to"]!.GetValue<string>() == "offTrack").ToList();
        Assert.Equal(["status.changed", "status.offTrack"], fall.Select(r => r.Event).Order());
        Assert.All(fall, r => Assert.Equal("onTrack", r.Json!["data"]!["from"]!.GetValue<string>()));
        Assert.Empty(inbox.Refused);
        // One delivery per event: three events, three delivery ids, each received once (this receiver answered 200).
        Assert.Equal(3, received.Select(r => r.DeliveryId).Distinct().Count());

        // A check-in that changes no status sends nothing.
        await host.CheckInAsync("k-platform-1", 1);
        await Task.Delay(500, Ct); // nothing may come: no deadline to poll for
        Assert.Equal(3, For(inbox, "k-platform-1").Count());
    }

    [Fact]
    public async Task ATeamSubscriptionGetsItsSubtreeAndNothingOfAnotherTeam()
    {
        var eng = host.Receiver["eng"];
        var sales = host.Receiver["sales"];
        var node = host.Receiver["node"];
        await host.SubscribeAsync("eng", ["status.changed"], scope: "team:eng");
        await host.SubscribeAsync("sales", ["status.changed"], scope: "team:sales");
        await host.SubscribeAsync("node", ["status.changed"], scope: $"node:{HookHost.Node("o-sales")}");

        await host.CheckInAsync("k-sales-2", 100);
        await host.CheckInAsync("k-platform-2", 100);
        // Platform is below Engineering: its key result reaches the Engineering subscription.
        await HookHost.UntilAsync(() => For(eng, "k-platform-2").Any(), "eng hears of Platform's key result");
        await HookHost.UntilAsync(() => For(sales, "k-sales-2").Any(), "sales hears of its key result");
        await HookHost.UntilAsync(() => For(node, "k-sales-2").Any(), "the objective's subscription hears of its key result");
        // The transitions of one team went out together with the other's; by now the wrong inbox would have them too.
        await Task.Delay(300, Ct);
        Assert.Empty(For(eng, "k-sales-2"));
        Assert.Empty(For(sales, "k-platform-2"));
        Assert.Empty(For(node, "k-platform-2"));
        Assert.All(eng.Accepted, r => Assert.Contains(r.Json!["data"]!["teamId"]!.GetValue<string>(), new[] { "platform", "eng" }));
    }

    [Fact]
    public async Task SlackAndTeamsSubscriptionsGetTheirMessageShapes()
    {
        var (slackId, _) = await host.SubscribeAsync("slack", ["status.changed"], format: "slack");
        var (teamsId, _) = await host.SubscribeAsync("teams", ["status.changed"], format: "teams");
        await host.CheckInAsync("k-sales-3", 100);
        await HookHost.UntilAsync(() => host.Receiver["slack"].Accepted.Any(r => r.Body.Contains("sales key result 3")), "the Slack message");
        await HookHost.UntilAsync(() => host.Receiver["teams"].Accepted.Any(r => r.Body.Contains("sales key result 3")), "the Teams message");

        var slack = host.Receiver["slack"].Accepted.First(r => r.Body.Contains("sales key result 3")).Json!.AsObject();
        Assert.Contains("sales key result 3", slack["text"]!.GetValue<string>());
        var blocks = slack["blocks"]!.AsArray();
        Assert.Equal("section", blocks[0]!["type"]!.GetValue<string>());
        Assert.Equal("mrkdwn", blocks[0]!["text"]!["type"]!.GetValue<string>());
        Assert.Equal(["blocks", "text"], slack.Select(p => p.Key).Order());

        var teams = host.Receiver["teams"].Accepted.First(r => r.Body.Contains("sales key result 3")).Json!;
        Assert.Equal("message", teams["type"]!.GetValue<string>());
        var attachment = teams["attachments"]!.AsArray().Single()!;
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment["contentType"]!.GetValue<string>());
        Assert.Equal("AdaptiveCard", attachment["content"]!["type"]!.GetValue<string>());
        Assert.Contains(attachment["content"]!["body"]!.AsArray(), b => b!["text"]!.GetValue<string>().Contains("sales key result 3"));

        // A ping goes to one subscription in its format, signed like the rest.
        using var ping = await host.Admin.PostAsync($"/api/webhooks/{slackId}/ping", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);
        await HookHost.UntilAsync(() => host.Receiver["slack"].Accepted.Any(r => r.Event == "webhook.ping"), "the ping");
        Assert.DoesNotContain(host.Receiver["teams"].Accepted, r => r.Event == "webhook.ping");
        Assert.Empty(host.Receiver["slack"].Refused);
        Assert.Empty(host.Receiver["teams"].Refused);
        _ = teamsId;
    }

    [Fact]
    public async Task AReceiverThatFailsTwiceSeesBackoffThenSuccessAndTheLogHasEveryAttempt()
    {
        var inbox = host.Receiver["flaky"];
        inbox.FailFirst = 2;
        var (id, _) = await host.SubscribeAsync("flaky", ["status.changed"]);
        using var ping = await host.Admin.PostAsync($"/api/webhooks/{id}/ping", null, Ct);
        var delivery = (await ping.Content.ReadFromJsonAsync<JsonNode>(HookHost.Json, Ct))!["id"]!.GetValue<string>();
        await HookHost.UntilAsync(() => inbox.Accepted.Any(r => r.DeliveryId == delivery), "the third attempt accepted");
        Assert.Equal(3, inbox.AttemptsByDelivery[delivery]);

        JsonNode log = null!;
        await HookHost.UntilAsync(async () =>
        {
            log = (await host.Admin.GetFromJsonAsync<JsonArray>($"/api/webhooks/{id}/deliveries", HookHost.Json, Ct))!.Single(d => d!["id"]!.GetValue<string>() == delivery)!;
            return log["state"]!.GetValue<string>() == "delivered";
        }, "the delivery recorded as delivered");
        var attempts = log["attempts"]!.AsArray();
        Assert.Equal([500, 500, 200], attempts.Select(a => a!["status"]!.GetValue<int>()));
        Assert.Equal(3, log["attemptCount"]!.GetValue<int>());
        Assert.All(attempts.Take(2), a => Assert.Contains("500", a!["error"]!.GetValue<string>()));
        // Backoff: each retry waited at least half its pause (0.2 s, then 0.4 s, with jitter between half and all).
        var at = attempts.Select(a => a!["at"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.True(at[1] - at[0] >= TimeSpan.FromMilliseconds(100), $"first retry after {(at[1] - at[0]).TotalMilliseconds} ms");
        Assert.True(at[2] - at[1] >= TimeSpan.FromMilliseconds(200), $"second retry after {(at[2] - at[1]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task AReceiverThatAlwaysFailsEndsInDeadLetterAndRedeliverSendsItAgainWithTheSameId()
    {
        var inbox = host.Receiver["down"];
        inbox.FailFirst = int.MaxValue;
        var (id, _) = await host.SubscribeAsync("down", ["status.changed"]);
        using var ping = await host.Admin.PostAsync($"/api/webhooks/{id}/ping", null, Ct);
        var delivery = (await ping.Content.ReadFromJsonAsync<JsonNode>(HookHost.Json, Ct))!["id"]!.GetValue<string>();

        JsonArray dead = [];
        await HookHost.UntilAsync(async () =>
        {
            dead = (await host.Admin.GetFromJsonAsync<JsonArray>($"/api/webhooks/{id}/dead-letters", HookHost.Json, Ct))!;
            return dead.Count == 1;
        }, "the dead letter");
        Assert.Equal(delivery, dead[0]!["id"]!.GetValue<string>());
        Assert.Equal(HookHost.MaxAttempts, dead[0]!["attemptCount"]!.GetValue<int>());
        Assert.Equal(HookHost.MaxAttempts, inbox.AttemptsByDelivery[delivery]);
        var view = (await host.Admin.GetFromJsonAsync<JsonNode>($"/api/webhooks/{id}", HookHost.Json, Ct))!;
        Assert.Equal(1, view["dead"]!.GetValue<int>());

        inbox.FailFirst = 0;
        using var redeliver = await host.Admin.PostAsync($"/api/webhooks/{id}/deliveries/{delivery}/redeliver", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        await HookHost.UntilAsync(() => inbox.Accepted.Any(r => r.DeliveryId == delivery), "the redelivery");
        await HookHost.UntilAsync(async () => (await host.Admin.GetFromJsonAsync<JsonArray>($"/api/webhooks/{id}/dead-letters", HookHost.Json, Ct))!.Count == 0,
            "the dead letter gone");
        // A pending one cannot be redelivered twice; an unknown one is not found.
        using var unknown = await host.Admin.PostAsync($"/api/webhooks/{id}/deliveries/{Guid.NewGuid()}/redeliver", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var notAnId = await host.Admin.PostAsync($"/api/webhooks/{id}/deliveries/xyz/redeliver", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, notAnId.StatusCode);
    }

    [Fact]
    public async Task TheSecretIsShownOnceAndNeverAgainNorLoggedAndChangesAreAudited()
    {
        var (id, secret) = await host.SubscribeAsync("secretive", ["status.changed"]);
        Assert.StartsWith("whsec_", secret);
        using (var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/webhooks/{id}") { Content = JsonContent.Create(new { name = "renamed", events = new[] { "status.changed", "kpi.dipped" } }) })
        using (var changed = await host.Admin.SendAsync(patch, Ct))
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        using (var ping = await host.Admin.PostAsync($"/api/webhooks/{id}/ping", null, Ct)) Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);
        await HookHost.UntilAsync(() => !host.Receiver["secretive"].Accepted.IsEmpty, "the ping");

        var bodies = new List<string>
        {
            await host.Admin.GetStringAsync("/api/webhooks", Ct),
            await host.Admin.GetStringAsync($"/api/webhooks/{id}", Ct),
            await host.Admin.GetStringAsync($"/api/webhooks/{id}/deliveries", Ct),
            await host.Admin.GetStringAsync($"/api/webhooks/{id}/dead-letters", Ct),
            await host.Admin.GetStringAsync("/api/audit?action=webhook.", Ct),
        };
        Assert.All(bodies, b => Assert.DoesNotContain(secret, b));
        Assert.DoesNotContain(secret, host.Web.Output);
        var audit = JsonNode.Parse(bodies[^1])!["entries"]!.AsArray().Where(e => e!["subject"]?.GetValue<string>() == id).Select(e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Contains("webhook.created", audit);
        Assert.Contains("webhook.changed", audit);

        using (var deleted = await host.Admin.DeleteAsync($"/api/webhooks/{id}", Ct)) Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using (var gone = await host.Admin.GetAsync($"/api/webhooks/{id}", Ct)) Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var after = JsonNode.Parse(await host.Admin.GetStringAsync("/api/audit?action=webhook.", Ct))!["entries"]!.AsArray();
        Assert.Contains(after, e => e!["subject"]?.GetValue<string>() == id && e["action"]!.GetValue<string>() == "webhook.deleted");
    }

    [Fact]
    public async Task LeadsManageTheirTeamsWebhooksOnlyAndMembersNone()
    {
        using (var member = await host.Member.GetAsync("/api/webhooks", Ct)) Assert.Equal(HttpStatusCode.Forbidden, member.StatusCode);
        using (var member = await host.Member.PostAsJsonAsync("/api/webhooks", new { name = "x", url = host.Receiver.Url("m"), events = new[] { "status.changed" }, scope = "team:platform" }, Ct))
            Assert.Equal(HttpStatusCode.Forbidden, member.StatusCode);

        // Lea leads Engineering, and so Platform below it.
        var (mine, _) = await host.SubscribeAsync("lead", ["status.changed"], scope: "team:platform", client: host.Lead);
        var (company, _) = await host.SubscribeAsync("admin-only", ["status.changed"]);
        foreach (var scope in new[] { "company", "team:sales", $"node:{HookHost.Node("o-platform")}" })
        {
            using var refused = await host.Lead.PostAsJsonAsync("/api/webhooks", new { name = "x", url = host.Receiver.Url("l"), events = new[] { "status.changed" }, scope }, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("scope", (await refused.Content.ReadFromJsonAsync<JsonNode>(HookHost.Json, Ct))!["field"]!.GetValue<string>());
        }
        var listed = (await host.Lead.GetFromJsonAsync<JsonArray>("/api/webhooks", HookHost.Json, Ct))!.Select(w => w!["id"]!.GetValue<string>()).ToList();
        Assert.Contains(mine, listed);
        Assert.DoesNotContain(company, listed);
        using (var other = await host.Lead.GetAsync($"/api/webhooks/{company}", Ct)) Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using (var other = await host.Lead.DeleteAsync($"/api/webhooks/{company}", Ct)) Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task BadInputIsRefusedNamingTheFieldAndChangesNothing()
    {
        // What must not change is the subscriptions; their delivery counters move with deliveries still running from
        // the tests before (outcomes are recorded in batches, a moment after the receiver answered).
        async Task<string> SubscriptionsAsync() => string.Join("\n", (await host.Admin.GetFromJsonAsync<JsonArray>("/api/webhooks", HookHost.Json, Ct))!
            .Select(w => w!.AsObject()).Select(w => string.Join("|", w.Where(p => p.Key is not ("pending" or "delivered" or "dead")).Select(p => $"{p.Key}={p.Value?.ToJsonString()}"))));
        var before = await SubscriptionsAsync();
        var url = host.Receiver.Url("bad");
        foreach (var (body, field) in new (object, string)[]
        {
            (new { name = "x", url = "ftp://example.com/hook", events = new[] { "status.changed" } }, "url"),
            (new { name = "x", url = "not a url", events = new[] { "status.changed" } }, "url"),
            (new { name = "x", url = "https://user:pw@example.com/hook", events = new[] { "status.changed" } }, "url"),
            (new { name = "x", url, events = new[] { "status.changed", "status.exploded" } }, "events[1]"),
            (new { name = "x", url, events = Array.Empty<string>() }, "events"),
            (new { name = "x", url, events = new[] { "webhook.ping" } }, "events[0]"),
            (new { name = "x", url, events = new[] { "status.changed" }, format = "discord" }, "format"),
            (new { name = "x", url, events = new[] { "status.changed" }, scope = "team:nope" }, "scope"),
            (new { name = "x", url, events = new[] { "status.changed" }, scope = "node:hooks-now:nope" }, "scope"),
            (new { name = "x", url, events = new[] { "status.changed" }, scope = "everything" }, "scope"),
            (new { name = "", url, events = new[] { "status.changed" } }, "name"),
        })
        {
            using var response = await host.Admin.PostAsJsonAsync("/api/webhooks", body, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = (await response.Content.ReadFromJsonAsync<JsonNode>(HookHost.Json, Ct))!;
            Assert.Equal(field, problem["field"]!.GetValue<string>());
        }
        using (var unknownField = await host.Admin.PostAsJsonAsync("/api/webhooks", new { name = "x", url, events = new[] { "status.changed" }, secret = "mine" }, Ct))
            Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        using (var missing = await host.Admin.GetAsync("/api/webhooks/wh_nope", Ct)) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var badState = await host.Admin.GetAsync("/api/webhooks/wh_nope/deliveries?state=lost", Ct)) Assert.Equal(HttpStatusCode.NotFound, badState.StatusCode);
        Assert.Equal(before, await SubscriptionsAsync());
    }

    [Fact]
    public async Task ClosingACycleIsDeliveredToItsSubscribers()
    {
        var start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-40);
        await HookHost.PostOkAsync(host.Admin, "/api/cycles", new { id = "hooks-past", name = "Past", start, end = start.AddDays(30) });
        await host.SubscribeAsync("closing", ["cycle.closed"]);
        await HookHost.PostOkAsync(host.Admin, "/api/cycles/hooks-past/close", new { });
        await HookHost.UntilAsync(() => host.Receiver["closing"].Accepted.Any(r => r.Json?["data"]?["cycleId"]?.GetValue<string>() == "hooks-past"), "cycle.closed");
        var received = host.Receiver["closing"].Accepted.Single(r => r.Json!["data"]!["cycleId"]!.GetValue<string>() == "hooks-past");
        Assert.Equal("cycle.closed", received.Event);
    }
}
