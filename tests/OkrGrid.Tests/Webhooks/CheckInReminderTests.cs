using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OkrGrid.Engine.Integrations;
using OkrGrid.Engine.Integrations.Webhooks;
using OkrGrid.Tests.Engine;

namespace OkrGrid.Tests.Webhooks;

/// <summary>A clock the test moves: the webhooks' and reminders' time (the rest of the silo keeps the real one).</summary>
public sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    private long _ticks = now.UtcTicks;
    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
    public void Set(DateTimeOffset at) => Interlocked.Exchange(ref _ticks, at.UtcTicks);
}

/// <summary>
/// Check-in reminders on a real engine and database, with the reminders' clock moved by the test: a team's cadence
/// (Monday 09:00 in Europe/Berlin) comes round, and exactly the team's owners whose key results have no check-in within
/// the week are reminded — through a webhook, to a real receiver — once per due instant.
/// </summary>
public sealed class CheckInReminderTests : IAsyncLifetime
{
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 11, 15, 12, 0, 0, TimeSpan.Zero));
    private EngineCluster _cluster = null!;
    private WebhookReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _cluster = await EngineCluster.StartAsync("reminders", Demo.Now, silo: silo =>
        {
            silo.Services.AddSingleton(new WebhookClock(_time));
            silo.Services.Configure<WebhookOptions>(o =>
            {
                o.CompanyId = EngineCluster.Company;
                o.ReminderPoll = TimeSpan.FromMilliseconds(100);
                o.Poll = TimeSpan.FromMilliseconds(100);
            });
            silo.Services.Configure<OutboundOptions>(o => o.AllowPrivateNetworks = true);
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task ACadenceRemindsTheTeamsStaleOwnersOnlyAtItsTimeOnce()
    {
        var c = _cluster;
        await Demo.SeedOrganisationAsync(c);
        await c.Organisation.AddPersonAsync("bob", "Bob Example", "growth");
        await c.Organisation.AddPersonAsync("carol", "Carol Example", "product");
        var cycle = c.Cycle(Demo.CycleId);
        var o = await cycle.CreateObjectiveAsync(new ObjectiveDraft("Grow", Demo.Team("growth"), "", RollUpMode.KeyResultsOnly));
        async Task<string> Kr(string id, string owner) =>
            (await cycle.CreateKeyResultAsync(new KeyResultDraft($"KR {id}", Demo.Person(owner), KeyResultKind.Increase, 0, 100, o.Id, Id: id))).Id;
        var a1 = await Kr("a1", "alice");
        var a2 = await Kr("a2", "alice");
        var b1 = await Kr("b1", "bob");
        var c1 = await Kr("c1", "carol");
        // Alice: a1 two days ago, a2 nine days ago; Bob never; Carol (another team) never.
        await c.KeyResult(a1).CheckInAsync(Demo.CheckIn(10, at: new DateTimeOffset(2026, 11, 14, 9, 0, 0, TimeSpan.Zero)));
        await c.KeyResult(a2).CheckInAsync(Demo.CheckIn(10, at: new DateTimeOffset(2026, 11, 6, 9, 0, 0, TimeSpan.Zero)));

        var inbox = _receiver["reminders"];
        inbox.Secret = "whsec_test-reminders";
        var monday = new DateTimeOffset(2026, 11, 16, 8, 0, 0, TimeSpan.Zero); // 09:00 in Berlin (CET)
        await using (var db = NpgsqlDataSource.Create(c.ConnectionString))
        {
            await using var hook = db.CreateCommand("""
                insert into okr_webhooks (id, name, url, secret, format, scope, events, active, created_at, created_by, updated_at)
                values ('wh_rem', 'reminders', @url, @secret, 'json', 'team:product', array['checkIn.reminder'], true, now(), 'test', now());
                insert into okr_checkin_cadences (team_id, day_of_week, at_time, time_zone, next_due_at, updated_at, updated_by)
                values ('growth', 1, '09:00', 'Europe/Berlin', @due, now(), 'test');
                """);
            hook.Parameters.AddWithValue("url", _receiver.Url("reminders"));
            hook.Parameters.AddWithValue("secret", inbox.Secret);
            hook.Parameters.AddWithValue("due", Cadence.Of(1, "09:00", "Europe/Berlin").NextAfter(_time.GetUtcNow()).UtcDateTime);
            await hook.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            Assert.Equal(monday, Cadence.Of(1, "09:00", "Europe/Berlin").NextAfter(_time.GetUtcNow()));
        }

        // Monday 09:00 Berlin comes: Alice for a2, Bob for b1; not a1 (fresh), not Carol (Product's own people have no cadence).
        _time.Set(monday.AddSeconds(1));
        await HookHost.UntilAsync(() => inbox.Accepted.Count >= 2, "the first round of reminders");
        var first = Round(inbox, monday);
        Assert.Equal(new Dictionary<string, string[]> { ["alice"] = [a2], ["bob"] = [b1] }, first);

        // Bob checks in on Friday; the next Monday Alice is reminded of both (a1 is now nine days old), Bob of nothing.
        c.Clock.UtcNow = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        await c.KeyResult(b1).CheckInAsync(Demo.CheckIn(10, at: new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero)));
        var next = monday.AddDays(7);
        _time.Set(next.AddSeconds(1));
        await HookHost.UntilAsync(() => inbox.Accepted.Any(r => r.Json!["data"]!["dueAt"]!.GetValue<DateTimeOffset>() == next), "the second round");
        Assert.Equal(new Dictionary<string, string[]> { ["alice"] = [a1, a2] }, Round(inbox, next));
        // Once per due instant: the first round was not sent again; every delivery signed (the receiver checked).
        Assert.Equal(first, Round(inbox, monday));
        Assert.Equal(inbox.Accepted.Count, inbox.DeliveryIds.Count);
        Assert.Empty(inbox.Refused);
        Assert.DoesNotContain(inbox.Accepted, r => r.Body.Contains(c1));
    }

    /// <summary>The reminders of one due instant: owner → key results named.</summary>
    private static Dictionary<string, string[]> Round(WebhookReceiver.Inbox inbox, DateTimeOffset due) =>
        inbox.Accepted.Where(r => r.Event == "checkIn.reminder" && r.Json!["data"]!["dueAt"]!.GetValue<DateTimeOffset>() == due)
            .ToDictionary(r => r.Json!["data"]!["owner"]!["id"]!.GetValue<string>(),
                r => r.Json!["data"]!["keyResults"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray());
}
