using System.Globalization;
using OkrGrid.Domain.Views;

namespace OkrGrid.Web.Seeding;

/// <summary>
/// Demo activity mode (<c>Demo:Activity=true</c>): keeps logging plausible check-ins on the demo company's current
/// cycle — and now and then a KPI measurement — through the grains, every <c>Demo:ActivityIntervalSeconds</c>
/// (default 3), so a wall display moves on its own. Values drift toward their targets with occasional setbacks; the
/// key result's owner is the author. It waits for the demo company (seeded by a silo startup task), and a failed
/// step is logged and the next one tried: it never takes the host down.
/// </summary>
public sealed class DemoActivity(IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock, DemoActivitySettings settings, DatabaseMode mode, DemoSettings demo,
    ILogger<DemoActivity> logger)
    : BackgroundService
{
    /// <summary>One step in this many also records a KPI measurement.</summary>
    private const int MeasurementEvery = 4;

    private readonly Random _random = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Made-up check-ins belong on the demo only, never among real ones.
            if (!await mode.IsDemoAsync(demo.Seed, stoppingToken))
            {
                logger.LogWarning("Demo:Activity is on, but this is not a demo database: no made-up check-ins here.");
                return;
            }
            await WaitForCompanyAsync(stoppingToken);
            logger.LogInformation("Demo activity: a check-in every {Interval} s on company '{CompanyId}'.", settings.Interval.TotalSeconds, Company.Id);
            using var timer = new PeriodicTimer(settings.Interval);
            for (var step = 1; await timer.WaitForNextTickAsync(stoppingToken); step++)
            {
                try
                {
                    await CheckInAsync();
                    if (step % MeasurementEvery == 0) await MeasureAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A closed cycle, a node deleted meanwhile, a silo that is shutting down: try again next tick.
                    logger.LogWarning(ex, "Demo activity: a step failed; continuing.");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <summary>The seeder names the company last, so a named company is a seeded one.</summary>
    private async Task WaitForCompanyAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                if ((await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync()).CompanyName is { Length: > 0 }) return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogDebug(ex, "Demo activity: the engine is not ready yet.");
            }
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
        }
    }

    private async Task CheckInAsync()
    {
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        if (Cycles.Current(organisation.Cycles, clock.GetUtcNow()) is not { Closed: false } cycle) return;
        var snapshot = await grains.GetGrain<ICycleGrain>(cycle.Id).GetSnapshotAsync();
        // A key result that reports a KPI's number is checked in when that KPI is measured (see MeasureAsync).
        var candidates = snapshot.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked && DemoScript.MeasuredKpi(k) is null
            && !DemoScript.Finished(k, snapshot.Scores.GetValueOrDefault(k.Id))).ToList();
        if (candidates.Count == 0) return;

        var kr = candidates[_random.Next(candidates.Count)];
        var score = snapshot.Scores.GetValueOrDefault(kr.Id);
        var elapsed = Rules.ExpectedProgress(cycle.Definition.Start, cycle.Definition.End, clock.GetUtcNow());
        await CheckInAsync(organisation, kr, DemoScript.NextValue(kr, score, elapsed, _random), elapsed);
    }

    private async Task CheckInAsync(OrganisationView organisation, KeyResultDefinition kr, (double Value, string Note) next, double elapsed)
    {
        var (value, note) = next;
        var progress = Rules.Clamp(Rules.RawProgress(kr.Kind, kr.Start, kr.Target, value));
        var confidence = DemoScript.Confidence(progress, Rules.ExpectedFor(kr.Kind, elapsed), _random);
        var author = new OwnerNames(organisation).Of(kr.Owner);
        // The owner "checks in", through the demo activity: the audit says so.
        await grains.GetGrain<IKeyResultGrain>(kr.Id).CheckInAsync(new CheckIn(NewClientId(), value, confidence, note, "", default),
            OkrGrid.Access.Actor.DemoActivity with { Name = author });
    }

    private async Task MeasureAsync()
    {
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        if (organisation.Kpis.IsEmpty) return;
        var kpi = grains.GetGrain<IKpiGrain>(organisation.Kpis[_random.Next(organisation.Kpis.Length)].Id);
        var view = await kpi.GetViewAsync();
        var cycle = Cycles.Current(organisation.Cycles, clock.GetUtcNow());
        var elapsed = cycle is null ? 0.5 : Rules.ExpectedProgress(cycle.Definition.Start, cycle.Definition.End, clock.GetUtcNow());
        var (value, note) = DemoScript.NextMeasurement(view.Definition, view.State.Latest, elapsed, _random);
        await kpi.RecordAsync(new Measurement(NewClientId(), value, default, note), OkrGrid.Access.Actor.DemoActivity with { Name = DemoScript.MeasurementAuthor });

        // The key results that hold a line on this KPI report the same number at once: a KPI below its baseline never
        // stands beside its key result still "holding".
        if (cycle is not { Closed: false }) return;
        var snapshot = await grains.GetGrain<ICycleGrain>(cycle.Id).GetSnapshotAsync();
        foreach (var kr in snapshot.KeyResults.Where(k => DemoScript.MeasuredKpi(k) == view.Definition.Id))
            await CheckInAsync(organisation, kr, DemoScript.NextValue(kr, snapshot.Scores.GetValueOrDefault(kr.Id), elapsed, _random, measured: value), elapsed);
    }

    /// <summary>A fresh id per check-in: each is a new fact, never a retry of an earlier one.</summary>
    private static string NewClientId() => $"demo-activity-{Guid.NewGuid():N}";
}

/// <summary>The "Demo" settings of the activity mode; invalid values fall back to the defaults (logged at start).</summary>
public sealed record DemoActivitySettings(bool Enabled, TimeSpan Interval)
{
    public const string EnabledKey = "Demo:Activity";
    public const string IntervalKey = "Demo:ActivityIntervalSeconds";
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(3);

    /// <summary>Reads the settings; a malformed value is reported in <paramref name="problem"/> and the default used.</summary>
    public static DemoActivitySettings Read(IConfiguration configuration, out string? problem)
    {
        problem = null;
        var enabled = false;
        if (configuration[EnabledKey] is { Length: > 0 } e && !bool.TryParse(e, out enabled))
            problem = $"{EnabledKey} is '{e}', not true or false; demo activity stays off.";
        var interval = DefaultInterval;
        if (configuration[IntervalKey] is { Length: > 0 } s)
        {
            // A tenth of a second at the least: the demo must not flood the engine.
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && seconds >= 0.1)
                interval = TimeSpan.FromSeconds(seconds);
            else
                problem = $"{IntervalKey} is '{s}', not a number of seconds of at least 0.1; using {DefaultInterval.TotalSeconds} s.";
        }
        return new DemoActivitySettings(enabled, interval);
    }
}

public static class DemoActivityHosting
{
    /// <summary>Adds the demo activity when <c>Demo:Activity</c> is true.</summary>
    public static WebApplicationBuilder AddDemoActivity(this WebApplicationBuilder builder)
    {
        var settings = DemoActivitySettings.Read(builder.Configuration, out var problem);
        if (problem is not null)
        {
            using var logging = LoggerFactory.Create(l => l.AddConfiguration(builder.Configuration.GetSection("Logging")).AddSimpleConsole(o => o.SingleLine = true));
            logging.CreateLogger<DemoActivity>().LogWarning("Demo activity: {Problem}", problem);
        }
        if (!settings.Enabled) return builder;
        builder.Services.AddSingleton(settings);
        builder.Services.AddHostedService<DemoActivity>();
        return builder;
    }
}

/// <summary>
/// How the demo's numbers move: pure, given a random source, so the rules are plain to read. A number drifts toward
/// where the cycle's pace puts it — each key result a steady amount ahead or behind — with noise and occasional
/// setbacks, so a display keeps moving for the whole cycle instead of everything reaching its target in an hour.
/// </summary>
public static class DemoScript
{
    public const string MeasurementAuthor = "Lumen metrics pipeline";

    /// <summary>A milestone that is done gets no more check-ins.</summary>
    public static bool Finished(KeyResultDefinition kr, NodeScore? score) =>
        kr.Kind == KeyResultKind.Milestone && score is { NoData: false, Value: >= 1 };

    /// <summary>
    /// The next value of a key result from its current one at <paramref name="elapsed"/> of the cycle, and a note
    /// that says what happened.
    /// </summary>
    /// <param name="measured">For a key result that reports a KPI's number (<see cref="MeasuredKpi"/>): that number.</param>
    public static (double Value, string Note) NextValue(KeyResultDefinition kr, NodeScore? score, double elapsed, Random random, double? measured = null)
    {
        var current = score is { NoData: false, Value: { } v } ? v : kr.Start;
        if (measured is { } m && kr.Kind is KeyResultKind.StayAtOrAbove or KeyResultKind.StayAtOrBelow)
        {
            var reported = Domain(kr).Clamp(m);
            var holding = kr.Kind == KeyResultKind.StayAtOrAbove ? reported >= kr.Target : reported <= kr.Target;
            return (reported, holding ? Pick(random, Holding) : Pick(random, Breached));
        }
        switch (kr.Kind)
        {
            case KeyResultKind.Milestone:
                // More likely to be done the further the cycle is.
                return random.NextDouble() < 0.02 + 0.1 * elapsed ? (1, Pick(random, Done)) : (0, Pick(random, Underway));
            case KeyResultKind.StayAtOrAbove:
            case KeyResultKind.StayAtOrBelow:
                {
                    var above = kr.Kind == KeyResultKind.StayAtOrAbove;
                    var (low, high) = Domain(kr);
                    // Never past what the unit allows: 99.9 % uptime holds between 99.9 and 100, not at 101.6.
                    var room = above ? high - kr.Target : kr.Target - low;
                    var spread = Math.Max(Math.Abs(kr.Target) * 0.02, Step(kr));
                    if (room > 0) spread = Math.Min(spread, room);
                    // Mostly holding, a little inside the line; one time in eight a breach.
                    var breach = random.NextDouble() < 0.125;
                    var offset = spread * (breach ? -(0.1 + 0.5 * random.NextDouble()) : 0.1 + 0.9 * random.NextDouble());
                    var value = Math.Clamp(Round(kr, kr.Target + (above ? offset : -offset)), low, high);
                    var holds = above ? value >= kr.Target : value <= kr.Target;
                    return (value, holds ? Pick(random, Holding) : Pick(random, Breached));
                }
            default:
                {
                    var span = kr.Target - kr.Start;
                    var aim = kr.Start + span * Math.Clamp(elapsed + Lead(kr), 0, 1);
                    // Close part of the gap to the aim, with noise; about one time in six, slip back a little instead.
                    var setback = random.NextDouble() < 0.16;
                    var move = setback
                        ? -span * (0.01 + 0.03 * random.NextDouble())
                        : (aim - current) * (0.1 + 0.2 * random.NextDouble()) + span * 0.01 * (random.NextDouble() - 0.3);
                    var low = Math.Min(kr.Start, kr.Target);
                    var high = Math.Max(kr.Start, kr.Target);
                    var value = Round(kr, Math.Clamp(current + move, low, high));
                    var delta = (value - current) / span;
                    return (value, delta switch
                    {
                        > 0.06 => Pick(random, BigWeek),
                        > 0.0005 => Pick(random, Steady),
                        >= -0.0005 => Pick(random, Flat),
                        _ => Pick(random, Slipped),
                    });
                }
        }
    }

    /// <summary>Confidence follows how far ahead of or behind the pace the key result is, to the nearest 0.05.</summary>
    public static double Confidence(double progress, double expected, Random random)
    {
        var c = 0.6 + (progress - expected) + (random.NextDouble() - 0.5) * 0.2;
        return Math.Round(Math.Clamp(c, 0.1, 0.95) * 20) / 20;
    }

    /// <summary>
    /// A KPI's next measurement, within what the KPI can measure. A seeded KPI keeps to the trend its history was made
    /// with (uptime around 99.95 %, not sliding to its 99.9 % line); any other one takes a small step toward its green
    /// threshold, plus noise.
    /// </summary>
    public static (double Value, string Note) NextMeasurement(KpiDefinition kpi, double? latest, double elapsed, Random random)
    {
        var current = latest ?? kpi.Baseline;
        var domain = Domain(kpi);
        if (DemoCompany.Kpi(kpi.Id) is { } seeded)
        {
            var aim = seeded.From + (seeded.To - seeded.From) * Math.Clamp(elapsed, 0, 1);
            var next = current + (aim - current) * 0.3 + (random.NextDouble() - 0.5) * 2 * seeded.Noise;
            return (Math.Round(domain.Clamp(next), seeded.Decimals), "");
        }
        var scale = Math.Max(Math.Abs(kpi.Thresholds.Green - kpi.Thresholds.Yellow), Math.Abs(current) * 0.002);
        var value = current + (kpi.Thresholds.Green - current) * 0.05 + (random.NextDouble() - 0.5) * scale * 0.4;
        var decimals = Math.Clamp(1 - (int)Math.Floor(Math.Log10(Math.Max(scale, 1e-9))), 0, 4);
        // Rounded first, then clamped: rounding 99.996 to one decimal must not make it 100.0 past a bound of 99.99.
        return (domain.Clamp(Math.Round(value, decimals)), "");
    }

    /// <summary>The values a key result's check-ins may take (see <see cref="ValueDomain.Of"/>); a milestone 0 or 1.</summary>
    public static ValueDomain Domain(KeyResultDefinition kr) => Domain(kr.Kind, kr.Unit, kr.Start, kr.Target);

    public static ValueDomain Domain(KeyResultKind kind, string unit, double start, double target) =>
        kind == KeyResultKind.Milestone ? ValueDomain.Milestone : ValueDomain.Of(unit, start, target);

    /// <summary>The values a KPI's measurements may take: the seed's bounds when it names them, else from its unit and numbers.</summary>
    public static ValueDomain Domain(KpiDefinition kpi) =>
        DemoCompany.Kpi(kpi.Id)?.Bounds ?? ValueDomain.Of(kpi.Unit, kpi.Baseline, kpi.Thresholds.Green, kpi.Thresholds.Yellow);

    /// <summary>The KPI whose number a seeded stay-at key result reports (<see cref="DemoKeyResult.Measures"/>), if any.</summary>
    public static string? MeasuredKpi(KeyResultDefinition kr) =>
        kr.Kind is KeyResultKind.StayAtOrAbove or KeyResultKind.StayAtOrBelow ? DemoCompany.KeyResult(DemoKeyResultId(kr.Id))?.Measures : null;

    /// <summary>A key result's id in the seed: the engine prefixes it with its cycle ("2026-q4:reliability-uptime").</summary>
    private static string DemoKeyResultId(string id) => NodeIds.CycleOf(id) is { } cycle && id.StartsWith(cycle + ":", StringComparison.Ordinal) ? id[(cycle.Length + 1)..] : id;

    /// <summary>How far ahead of the pace (or, negative, behind it) a key result runs: fixed per key result.</summary>
    private static double Lead(KeyResultDefinition kr)
    {
        // FNV-1a: the same in every process (string.GetHashCode is not), so a key result keeps its character.
        var hash = 2166136261u;
        foreach (var c in kr.Id) hash = unchecked((hash ^ c) * 16777619u);
        return -0.25 + 0.4 * (hash % 1000) / 1000.0;
    }

    /// <summary>Values shown to the precision a person would report: a hundredth of the key result's span.</summary>
    private static double Round(KeyResultDefinition kr, double value)
    {
        var decimals = Math.Clamp(2 - (int)Math.Floor(Math.Log10(Step(kr) * 100)), 0, 4);
        return Math.Round(value, decimals);
    }

    private static double Step(KeyResultDefinition kr) => Math.Max(Math.Abs(kr.Target - kr.Start), 1e-6) / 100;

    private static string Pick(Random random, string[] options) => options[random.Next(options.Length)];

    private static readonly string[] BigWeek = ["Big step: the main piece landed.", "Strong day, ahead of plan.", "The new release is paying off."];
    private static readonly string[] Steady = ["Steady progress.", "On plan; nothing blocking.", "Moving in the right direction.", "Small wins across the board."];
    private static readonly string[] Flat = ["Flat: waiting on a dependency.", "Little movement; the team was on incident duty.", "Quiet day."];
    private static readonly string[] Slipped = ["Slipped back a little; digging into why.", "A regression; a fix is in review.", "Lost some ground after a customer escalation."];
    private static readonly string[] Holding = ["Holding the line.", "Comfortably within the target.", "Within target; watching the trend."];
    private static readonly string[] Breached = ["Over the line today; looking into it.", "A short breach; mitigation in place."];
    private static readonly string[] Underway = ["Work in progress.", "On the way; a few open questions left.", "Progressing, nothing blocking."];
    private static readonly string[] Done = ["Done and shipped.", "Finished: announced to the company."];
}
