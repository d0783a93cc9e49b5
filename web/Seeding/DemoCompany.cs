namespace OkrGrid.Web.Seeding;

/// <summary>A key result of the demo, with the shape of its made-up history (see <see cref="DemoHistory"/>).</summary>
/// <param name="Shape">
/// Increase/decrease: the pace relative to the calendar (1 = on plan, 0.5 = half as fast).
/// Stay at or above/below: 1 or more holds the target; below 1 it has been breached in recent weeks.
/// Milestone: the elapsed fraction of the cycle at which it was done (above 1: not done this cycle).
/// KPI-linked: unused, the value comes from the KPI's measurements.
/// </param>
/// <param name="Measures">
/// A stay-at key result that holds a line on what a KPI measures (uptime at or above 99.9 % beside the uptime KPI): its
/// check-ins report that KPI's latest measurement, so the key result and the KPI never tell two stories.
/// </param>
public sealed record DemoKeyResult(
    string Id, string Title, string OwnerPersonId, KeyResultKind Kind, double Start, double Target,
    string Unit = "", double Weight = 1, double Shape = 1, int Decimals = 0, double Spread = 0, string? KpiId = null,
    string? Measures = null)
{
    /// <summary>The values its check-ins may take, from its unit and numbers (see <see cref="ValueDomain.Of"/>).</summary>
    public ValueDomain Domain => DemoScript.Domain(Kind, Unit, Start, Target);
}

public sealed record DemoParent(string ObjectiveId, double Weight = 1);

public sealed record DemoObjective(
    string Id, string Title, string Description, Owner Owner,
    ImmutableArray<DemoParent> Parents, ImmutableArray<DemoKeyResult> KeyResults);

/// <summary>A KPI of the demo and the shape of its weekly measurements: a trend plus noise and a few events.</summary>
/// <param name="Bounds">The values it can take when its unit does not say (NPS: −100 to 100); null: from its unit and numbers.</param>
public sealed record DemoKpi(
    KpiDefinition Definition, double From, double To, double Noise, int Decimals,
    ImmutableDictionary<int, (double Value, string Note)> Events, (double Value, string Note)? LatestDip = null,
    ValueDomain? Bounds = null)
{
    /// <summary>The values its measurements may take.</summary>
    public ValueDomain Domain => Bounds ?? DemoScript.Domain(Definition);
}

/// <summary>Lumen Analytics: the demo company a new install starts with.</summary>
public static class DemoCompany
{
    public const string Name = "Lumen Analytics";
    public const string Department = "product-eng";

    public static ImmutableArray<Team> Teams { get; } =
    [
        new(Department, "Product & Engineering", null),
        new("platform", "Platform", Department),
        new("growth", "Growth", Department),
        new("mobile", "Mobile", Department),
        new("data", "Data", Department),
        new("design", "Design", Department),
    ];

    public static ImmutableArray<Person> People { get; } =
    [
        new("maya-okafor", "Maya Okafor", Department),
        new("daniel-reyes", "Daniel Reyes", Department),
        new("priya-raman", "Priya Raman", "platform"),
        new("tomasz-nowak", "Tomasz Nowak", "platform"),
        new("lena-fischer", "Lena Fischer", "platform"),
        new("kwame-mensah", "Kwame Mensah", "platform"),
        new("sofia-alvarez", "Sofia Álvarez", "growth"),
        new("jonas-berg", "Jonas Berg", "growth"),
        new("aisha-khan", "Aisha Khan", "growth"),
        new("liam-oconnor", "Liam O'Connor", "growth"),
        new("hiroshi-tanaka", "Hiroshi Tanaka", "mobile"),
        new("chloe-martin", "Chloé Martin", "mobile"),
        new("ravi-patel", "Ravi Patel", "mobile"),
        new("ingrid-larsen", "Ingrid Larsen", "data"),
        new("mateo-rossi", "Mateo Rossi", "data"),
        new("nadia-haddad", "Nadia Haddad", "data"),
        new("zara-ahmed", "Zara Ahmed", "data"),
        new("elena-petrova", "Elena Petrova", "design"),
        new("samuel-osei", "Samuel Osei", "design"),
        new("yuki-sato", "Yuki Sato", "design"),
    ];

    public static ImmutableArray<DemoKpi> Kpis { get; } =
    [
        new(new KpiDefinition("nps", "Net Promoter Score", "", Direction.HigherIsBetter, new KpiThresholds(40, 30), 32, Owner.Company(Company.Id)),
            From: 32, To: 46, Noise: 1.2, Decimals: 0, Events: ImmutableDictionary<int, (double, string)>.Empty,
            Bounds: new ValueDomain(-100, 100)), // a net promoter score runs from −100 (all detractors) to 100
        new(new KpiDefinition("uptime", "API uptime", "%", Direction.HigherIsBetter, new KpiThresholds(99.9, 99.5), 99.9, TeamOwner("platform")),
            From: 99.95, To: 99.96, Noise: 0.02, Decimals: 2,
            Events: ImmutableDictionary<int, (double, string)>.Empty.Add(3, (99.62, "Database failover during the storage migration: 47 minutes degraded."))),
        new(new KpiDefinition("wau", "Weekly active users", "users", Direction.HigherIsBetter, new KpiThresholds(20000, 17000), 18500, TeamOwner("growth")),
            From: 18500, To: 22500, Noise: 220, Decimals: 0, Events: ImmutableDictionary<int, (double, string)>.Empty,
            LatestDip: (17940, "Dip after the pricing-page change; Growth is investigating.")),
        new(new KpiDefinition("p95-latency", "API p95 latency", "ms", Direction.LowerIsBetter, new KpiThresholds(300, 450), 480, TeamOwner("platform")),
            From: 480, To: 270, Noise: 12, Decimals: 0, Events: ImmutableDictionary<int, (double, string)>.Empty),
    ];

    /// <summary>Objectives in creation order: every parent comes before its children.</summary>
    public static ImmutableArray<DemoObjective> Objectives { get; } =
    [
        // ---- Company ----
        new("co-customers", "Delight customers so much they recommend us",
            "Customers who love the product stay, expand and bring their peers.", Owner.Company(Company.Id), [],
            [
                new("customers-nps", "Raise NPS from 32 to 45", "maya-okafor", KeyResultKind.KpiLinked, 32, 45, Weight: 2, KpiId: "nps"),
                new("customers-support", "Cut median first support response from 6 h to 2 h", "maya-okafor", KeyResultKind.Decrease, 6, 2, "h", Shape: 0.8, Decimals: 1),
            ]),
        new("co-growth", "Become the analytics platform teams can't work without",
            "Grow usage and revenue from the customers we have and the ones we win.", Owner.Company(Company.Id), [],
            [
                new("growth-nrr", "Lift net revenue retention from 104% to 112%", "sofia-alvarez", KeyResultKind.Increase, 104, 112, "%", Shape: 0.85, Decimals: 1),
                new("growth-logos", "Land 15 new enterprise customers", "sofia-alvarez", KeyResultKind.Increase, 0, 15, "customers", Shape: 0.6),
            ]),
        new("co-reliability", "Run a platform customers can bet their business on",
            "Reliability is a feature: customers run their week on our dashboards.", Owner.Company(Company.Id), [],
            [
                new("reliability-uptime", "Keep monthly API uptime at or above 99.9%", "priya-raman", KeyResultKind.StayAtOrAbove, 99.9, 99.9, "%", Decimals: 2, Spread: 0.08,
                    Measures: "uptime"),
                new("reliability-status", "Launch a public status page with published SLOs", "daniel-reyes", KeyResultKind.Milestone, 0, 1, Weight: 0.5, Shape: 0.45),
            ]),

        // ---- Department ----
        new("pe-delivery", "Ship faster without breaking things",
            "Small, safe, frequent releases across every team.", TeamOwner(Department), [new("co-reliability")],
            [
                new("delivery-lead-time", "Cut lead time for changes from 5 days to 2 days", "daniel-reyes", KeyResultKind.Decrease, 5, 2, "days", Shape: 0.9, Decimals: 1),
                new("delivery-cfr", "Keep change failure rate at or below 10%", "daniel-reyes", KeyResultKind.StayAtOrBelow, 10, 10, "%", Decimals: 1, Spread: 3),
            ]),
        new("pe-insight", "Turn product usage into decisions",
            "Every roadmap call backed by data we trust.", TeamOwner(Department), [new("co-growth")],
            [
                new("insight-journeys", "Instrument 100% of core user journeys", "ingrid-larsen", KeyResultKind.Increase, 40, 100, "%", Shape: 1.05),
                new("insight-review", "Run a weekly product metrics review", "maya-okafor", KeyResultKind.Milestone, 0, 1, Weight: 0.5, Shape: 0.2),
            ]),

        // ---- Teams ----
        new("platform-reliability", "Make the platform boringly reliable",
            "Fewer pages, faster APIs, no surprises.", TeamOwner("platform"), [new("pe-delivery"), new("co-reliability", 2)],
            [
                new("platform-p95", "Cut p95 API latency from 480 ms to 250 ms", "priya-raman", KeyResultKind.KpiLinked, 480, 250, "ms", Weight: 2, KpiId: "p95-latency"),
                new("platform-migration", "Migrate 12 services to the new Kubernetes cluster", "kwame-mensah", KeyResultKind.Increase, 0, 12, "services", Shape: 0.75),
                new("platform-sev1", "Keep Sev-1 incidents at or below 1 a month", "priya-raman", KeyResultKind.StayAtOrBelow, 1, 1, "incidents", Weight: 0.5, Shape: 0.9, Spread: 1),
            ]),
        new("platform-paved-road", "Give every engineer a paved road to production",
            "Fast CI and self-service environments.", TeamOwner("platform"), [new("pe-delivery")],
            [
                new("paved-ci", "Cut CI pipeline time from 22 to 10 minutes", "lena-fischer", KeyResultKind.Decrease, 22, 10, "min", Shape: 1.1, Decimals: 1),
                new("paved-previews", "Ship self-service preview environments", "tomasz-nowak", KeyResultKind.Milestone, 0, 1, Shape: 0.55),
            ]),
        new("growth-activation", "Turn sign-ups into active teams",
            "Get new workspaces to their first useful dashboard fast.", TeamOwner("growth"), [new("co-growth")],
            [
                new("activation-conversion", "Raise trial-to-paid conversion from 8% to 12%", "aisha-khan", KeyResultKind.Increase, 8, 12, "%", Weight: 2, Shape: 0.65, Decimals: 1),
                new("activation-onboarding", "Launch the guided onboarding checklist", "jonas-berg", KeyResultKind.Milestone, 0, 1, Shape: 0.35),
                new("activation-ttv", "Cut time to first dashboard from 3 days to 1 day", "liam-oconnor", KeyResultKind.Decrease, 3, 1, "days", Shape: 0.9, Decimals: 1),
            ]),
        new("growth-expansion", "Grow within the accounts we have",
            "More seats and upgrades from teams that already trust us.", TeamOwner("growth"), [new("co-growth")],
            [
                new("expansion-seats", "Grow average seats per account from 14 to 18", "sofia-alvarez", KeyResultKind.Increase, 14, 18, "seats", Shape: 0.45, Decimals: 1),
                new("expansion-prompts", "Ship usage-based upgrade prompts", "liam-oconnor", KeyResultKind.Milestone, 0, 1, Weight: 0.5, Shape: 1.2),
            ]),
        new("mobile-quality", "A mobile app people rate five stars",
            "Fast, stable and pleasant on every phone.", TeamOwner("mobile"), [new("co-customers")],
            [
                new("mobile-rating", "Raise App Store rating from 4.1 to 4.6", "hiroshi-tanaka", KeyResultKind.Increase, 4.1, 4.6, "stars", Shape: 0.8, Decimals: 2),
                new("mobile-crash-free", "Keep crash-free sessions at or above 99.5%", "ravi-patel", KeyResultKind.StayAtOrAbove, 99.5, 99.5, "%", Decimals: 2, Spread: 0.3),
            ]),
        new("mobile-offline", "Dashboards that work offline",
            "Field teams read their numbers on a plane, in a mine, on a ship.", TeamOwner("mobile"), [new("co-customers")],
            [
                new("offline-ios", "Release offline mode on iOS", "chloe-martin", KeyResultKind.Milestone, 0, 1, Shape: 0.5),
                new("offline-android", "Release offline mode on Android", "ravi-patel", KeyResultKind.Milestone, 0, 1, Shape: 0.85),
                new("offline-sync", "Cut sync conflicts per 1,000 sessions from 12 to 2", "hiroshi-tanaka", KeyResultKind.Decrease, 12, 2, "conflicts", Shape: 0.7, Decimals: 1),
            ]),
        new("data-freshness", "Fresh data, every time",
            "Dashboards show what happened minutes ago, not yesterday.", TeamOwner("data"), [new("pe-insight")],
            [
                new("freshness-lag", "Cut ingestion lag from 45 to 5 minutes", "mateo-rossi", KeyResultKind.Decrease, 45, 5, "min", Shape: 0.95),
                new("freshness-success", "Keep pipeline success rate at or above 99%", "zara-ahmed", KeyResultKind.StayAtOrAbove, 99, 99, "%", Shape: 0.9, Decimals: 1, Spread: 0.6),
            ]),
        new("data-self-serve", "Self-serve analytics for every team",
            "Teams answer their own questions without filing a ticket.", TeamOwner("data"), [new("pe-insight")],
            [
                new("self-serve-teams", "Onboard 8 teams to the semantic layer", "ingrid-larsen", KeyResultKind.Increase, 0, 8, "teams", Shape: 0.85),
                new("self-serve-requests", "Cut ad-hoc data requests from 60 to 20 a month", "nadia-haddad", KeyResultKind.Decrease, 60, 20, "requests", Shape: 0.55),
            ]),
        new("design-system", "One design system across web and mobile",
            "Lumen UI everywhere: consistent, accessible, quick to build with.", TeamOwner("design"), [new("pe-delivery")],
            [
                new("system-screens", "Migrate 40 screens to Lumen UI", "elena-petrova", KeyResultKind.Increase, 0, 40, "screens", Weight: 2),
                new("system-a11y", "Publish accessibility guidelines", "samuel-osei", KeyResultKind.Milestone, 0, 1, Weight: 0.5, Shape: 0.3),
            ]),
        new("design-research", "Hear from customers every week",
            "A steady stream of customer conversations feeding the roadmap.", TeamOwner("design"), [new("co-customers")],
            [
                new("research-interviews", "Run 24 customer interviews", "yuki-sato", KeyResultKind.Increase, 0, 24, "interviews", Shape: 0.9),
                new("research-reports", "Share 6 insight reports with the company", "elena-petrova", KeyResultKind.Increase, 0, 6, "reports", Shape: 0.7),
            ]),

        // ---- Personal ----
        new("tomasz-oncall", "Make on-call humane",
            "Fewer, better alerts and a runbook for each.", PersonOwner("tomasz-nowak"), [new("platform-reliability")],
            [
                new("oncall-pages", "Cut pages per on-call week from 14 to 5", "tomasz-nowak", KeyResultKind.Decrease, 14, 5, "pages", Shape: 0.8),
                new("oncall-runbooks", "Write runbooks for the 10 noisiest alerts", "tomasz-nowak", KeyResultKind.Increase, 0, 10, "runbooks", Shape: 1.1),
            ]),
        new("aisha-experiments", "Build a rigorous experimentation practice",
            "Every growth bet measured, with metrics chosen up front.", PersonOwner("aisha-khan"), [new("growth-activation")],
            [
                new("experiments-shipped", "Ship 6 A/B tests with pre-registered metrics", "aisha-khan", KeyResultKind.Increase, 0, 6, "tests", Shape: 0.6),
                new("experiments-playbook", "Publish the experimentation playbook", "aisha-khan", KeyResultKind.Milestone, 0, 1, Shape: 0.4),
            ]),
        new("samuel-a11y", "Grow into our accessibility specialist",
            "Certification and hands-on audits.", PersonOwner("samuel-osei"), [new("design-system")],
            [
                new("a11y-cert", "Pass the IAAP CPACC certification", "samuel-osei", KeyResultKind.Milestone, 0, 1, Shape: 0.95),
                new("a11y-audits", "Audit 20 screens against WCAG 2.2 AA", "samuel-osei", KeyResultKind.Increase, 0, 20, "screens"),
            ]),
    ];

    public static string NameOf(string personId) => People.First(p => p.Id == personId).Name;

    /// <summary>The seeded key result with this id, if it is one of the demo's.</summary>
    public static DemoKeyResult? KeyResult(string id) => Objectives.SelectMany(o => o.KeyResults).FirstOrDefault(k => k.Id == id);

    /// <summary>The seeded KPI with this id, if it is one of the demo's.</summary>
    public static DemoKpi? Kpi(string id) => Kpis.FirstOrDefault(k => k.Definition.Id == id);

    private static Owner TeamOwner(string teamId) => new(OwnerKind.Team, teamId);
    private static Owner PersonOwner(string personId) => new(OwnerKind.Person, personId);
}

/// <summary>
/// Who the demo's people are when they sign in: a VP who is admin, the department head and each team's lead as team
/// leads, everyone else a member — and a board observer, a viewer with no team. The demo sign-in page lists them.
/// </summary>
public static class DemoAccounts
{
    public const string ObserverId = "board-observer";

    private static readonly Dictionary<string, OkrGrid.Access.Role> Roles = new()
    {
        ["maya-okafor"] = OkrGrid.Access.Role.Admin,
        ["daniel-reyes"] = OkrGrid.Access.Role.Lead,
        ["priya-raman"] = OkrGrid.Access.Role.Lead,
        ["sofia-alvarez"] = OkrGrid.Access.Role.Lead,
        ["hiroshi-tanaka"] = OkrGrid.Access.Role.Lead,
        ["ingrid-larsen"] = OkrGrid.Access.Role.Lead,
        ["elena-petrova"] = OkrGrid.Access.Role.Lead,
    };

    public static IEnumerable<(string Id, string DisplayName, OkrGrid.Access.Role Role, string? PersonId)> All =>
        DemoCompany.People.Select(p => (p.Id, p.Name, Roles.GetValueOrDefault(p.Id, OkrGrid.Access.Role.Member), (string?)p.Id))
            .Append((ObserverId, "Avery Quinn", OkrGrid.Access.Role.Viewer, null));
}
