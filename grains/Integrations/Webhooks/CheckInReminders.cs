using System.Globalization;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;
using OkrGrid.Engine.Journal;

namespace OkrGrid.Engine.Integrations.Webhooks;

/// <summary>A team's weekly check-in cadence: a day and a time of day in the team's IANA time zone.</summary>
public sealed record Cadence(DayOfWeek Day, TimeOnly At, string TimeZone)
{
    public static readonly TimeSpan Period = TimeSpan.FromDays(7);

    /// <summary>The reason the cadence cannot be used (field, reason), or null.</summary>
    public static (string Field, string Reason)? Check(int? dayOfWeek, string? at, string? timeZone)
    {
        if (dayOfWeek is null or < 0 or > 6) return ("dayOfWeek", "must be 0 (Sunday) to 6 (Saturday).");
        if (string.IsNullOrWhiteSpace(at) || !TimeOnly.TryParseExact(at, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            return ("time", "must be a time of day as HH:mm, e.g. 09:00.");
        if (string.IsNullOrWhiteSpace(timeZone) || timeZone.Length > 64) return ("timeZone", "must be an IANA time zone, e.g. Europe/Berlin.");
        try { _ = TimeZoneInfo.FindSystemTimeZoneById(timeZone); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { return ("timeZone", $"'{timeZone}' is not an IANA time zone known here (e.g. Europe/Berlin)."); }
        return null;
    }

    public static Cadence Of(int dayOfWeek, string at, string timeZone) =>
        new((DayOfWeek)dayOfWeek, TimeOnly.ParseExact(at, "HH:mm", CultureInfo.InvariantCulture), timeZone);

    /// <summary>
    /// The first instant strictly after <paramref name="after"/> that is the cadence's day and time in its zone. A time
    /// that a clock change skips is taken an hour later; one it repeats, at its first occurrence.
    /// </summary>
    public DateTimeOffset NextAfter(DateTimeOffset after)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        var local = TimeZoneInfo.ConvertTime(after, zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        for (int i = 0; i < 9; i++, date = date.AddDays(1))
        {
            if (date.DayOfWeek != Day) continue;
            var wall = date.ToDateTime(At);
            if (zone.IsInvalidTime(wall)) wall = wall.AddHours(1);
            var offset = zone.IsAmbiguousTime(wall) ? zone.GetAmbiguousTimeOffsets(wall).Max() : zone.GetUtcOffset(wall);
            var instant = new DateTimeOffset(wall, offset);
            if (instant > after) return instant.ToUniversalTime();
        }
        throw new InvalidOperationException("No next occurrence within nine days.");
    }
}

/// <summary>
/// Check-in reminders as a durable timer: each team's cadence row holds its next due instant. A host claims due rows
/// (FOR UPDATE SKIP LOCKED), writes a reminder event per owner whose key results have no check-in within the cadence's
/// period, and moves the row to its next instant — in one transaction, so a reminder is written once per due instant
/// whichever host runs it, and one due while every host was down is sent when the first comes back. Orleans reminders
/// would give the same firing, but need their own table and provider; this keeps the schedule beside the data it
/// reads, and runs on <see cref="WebhookClock"/>, which tests move.
/// </summary>
public sealed class CheckInReminders(NpgsqlDataSource dataSource, WebhookOutbox outbox, WebhookContext context, IGrainFactory grains, IJournal journal,
    WebhookClock clock, IOptions<WebhookOptions> options, ILogger<CheckInReminders> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { while (await RunDueAsync(stoppingToken) > 0) { } }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.RemindersNotSent(ex.Message);
            }
            try { await Task.Delay(options.Value.ReminderPoll, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Handles the cadences due now (a few at a time); returns how many it handled.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct = default)
    {
        var now = clock.UtcNow;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var due = new List<(string Team, Cadence Cadence, DateTimeOffset DueAt)>();
        await using (var cmd = new NpgsqlCommand("""
            select team_id, day_of_week, at_time, time_zone, next_due_at from okr_checkin_cadences
            where next_due_at <= @now order by next_due_at limit 10 for update skip locked
            """, connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = now.UtcDateTime });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                due.Add((reader.GetString(0), Cadence.Of(reader.GetInt32(1), reader.GetString(2), reader.GetString(3)),
                    new DateTimeOffset(reader.GetFieldValue<DateTime>(4), TimeSpan.Zero)));
        }
        if (due.Count == 0) return 0;
        var events = new List<OutboxEvent>();
        foreach (var (team, cadence, dueAt) in due)
        {
            events.AddRange(await RemindersAsync(team, dueAt, now));
            await using var move = new NpgsqlCommand("update okr_checkin_cadences set next_due_at = @next where team_id = @team", connection, tx);
            // Past instants missed while no host ran are not sent one by one: the next is after now.
            move.Parameters.Add(new NpgsqlParameter<DateTime>("next", NpgsqlDbType.TimestampTz) { TypedValue = cadence.NextAfter(now > dueAt ? now : dueAt).UtcDateTime });
            move.Parameters.AddWithValue("team", team);
            await move.ExecuteNonQueryAsync(ct);
        }
        var deliveries = await outbox.WriteAsync(connection, tx, events, ct);
        await tx.CommitAsync(ct);
        if (deliveries > 0) outbox.Notify();
        logger.RemindersSent(due.Count, events.Count, deliveries);
        return due.Count;
    }

    /// <summary>
    /// One reminder per owner (a person of the team, or the team itself) of the team's key results in the cycles under way
    /// whose last check-in is older than the cadence's period (or who never checked in). KPI-linked key results take
    /// their values from measurements and are left out.
    /// </summary>
    private async Task<List<OutboxEvent>> RemindersAsync(string teamId, DateTimeOffset dueAt, DateTimeOffset now)
    {
        var org = await context.OrganisationAsync();
        var team = org.Teams.FirstOrDefault(t => t.Id == teamId);
        if (team is null) return [];
        var people = org.People.Where(p => p.TeamId == teamId).ToDictionary(p => p.Id);
        var stale = new List<(KeyResultDefinition Kr, DateTimeOffset? Last)>();
        foreach (var cycle in org.Cycles.Where(c => !c.Closed && c.Definition.Start <= now && now < c.Definition.End))
        {
            var snapshot = await grains.GetGrain<ICycleGrain>(cycle.Id).GetSnapshotAsync();
            var mine = snapshot.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked
                && ((k.Owner.Kind == OwnerKind.Person && people.ContainsKey(k.Owner.Id)) || (k.Owner.Kind == OwnerKind.Team && k.Owner.Id == teamId))).ToList();
            if (mine.Count == 0) continue;
            var latest = await journal.LatestAsync([.. mine.Select(k => k.Id)]);
            foreach (var kr in mine)
            {
                var last = latest.TryGetValue(kr.Id, out var e) ? e.At : (DateTimeOffset?)null;
                if (last is null || last < now - Cadence.Period) stale.Add((kr, last));
            }
        }
        var scopes = ImmutableArray.Create("company").AddRange(WebhookContext.TeamScopes(org, teamId));
        return [.. stale.GroupBy(s => s.Kr.Owner).Select(g =>
        {
            var owner = g.Key;
            var name = owner.Kind == OwnerKind.Person ? people[owner.Id].Name : team.Name;
            var list = g.OrderBy(s => s.Kr.Id, StringComparer.Ordinal).ToList();
            return new OutboxEvent($"reminder:{teamId}:{dueAt.ToUnixTimeSeconds()}:{owner}", WebhookEvents.CheckInReminder, now, scopes,
                WebhookEventSource.Data(new
                {
                    teamId,
                    teamName = team.Name,
                    owner = new { kind = owner.Kind.ToString().ToLowerInvariant(), id = owner.Id, name },
                    dueAt,
                    keyResults = list.Select(s => new { id = s.Kr.Id, title = s.Kr.Title, cycleId = s.Kr.CycleId, lastCheckInAt = s.Last }),
                    summary = $"Check-in reminder for {name} ({team.Name}): {list.Count} key result(s) without a check-in this week — " +
                        string.Join(", ", list.Take(5).Select(s => $"“{s.Kr.Title}”")) + (list.Count > 5 ? ", …" : "") + ".",
                }));
        })];
    }
}
