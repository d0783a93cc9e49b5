using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace OkrGrid.Web.Pages;

/// <summary>
/// <c>GET /</c>: a plain server-rendered overview, so whoever starts the app sees the engine at work — the company
/// objectives of the current cycle with their children, and KPI health. Refreshes itself every 5 seconds.
/// </summary>
public static class HomePage
{
    public static IEndpointRouteBuilder MapHomePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", RenderAsync).ExcludeFromDescription();
        return app;
    }

    public static async Task<ContentHttpResult> RenderAsync(IGrainFactory grains, IEngineClock clock, HttpContext http)
    {
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        var now = clock.UtcNow;
        var cycle = CurrentCycle(organisation.Cycles, now);
        var snapshot = cycle is null ? null : await grains.GetGrain<ICycleGrain>(cycle.Id).GetSnapshotAsync();
        var kpis = (await Task.WhenAll(organisation.Kpis.Select(k => TryGetKpiAsync(grains, k.Id)))).OfType<KpiView>().ToList();

        http.Response.Headers.CacheControl = "no-store";
        var html = new HomePageRenderer(organisation, snapshot, kpis, now).Render();
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    /// <summary>The open cycle containing now; else the most recent one that has started; else the first.</summary>
    public static CycleInfo? CurrentCycle(ImmutableArray<CycleInfo> cycles, DateTimeOffset now) =>
        cycles.FirstOrDefault(c => !c.Closed && c.Definition.Start <= now && now < c.Definition.End)
        ?? cycles.Where(c => c.Definition.Start <= now).MaxBy(c => c.Definition.Start)
        ?? cycles.FirstOrDefault();

    private static async Task<KpiView?> TryGetKpiAsync(IGrainFactory grains, string id)
    {
        try { return await grains.GetGrain<IKpiGrain>(id).GetViewAsync(); }
        catch (OkrRejectedException) { return null; } // deleted meanwhile
    }
}

internal sealed class HomePageRenderer(OrganisationView organisation, CycleSnapshot? snapshot, IReadOnlyList<KpiView> kpis, DateTimeOffset now)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly StringBuilder _html = new();

    public string Render()
    {
        var company = organisation.CompanyName is { Length: > 0 } name ? name : organisation.CompanyId;
        _html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="5">
            <title>{{H(company)}} · OkrGrid</title>
            <style>{{Css}}</style>
            </head>
            <body>
            <header>
              <div class="brand">OkrGrid</div>
              <h1>{{H(company)}}</h1>
            """);
        if (snapshot is null)
        {
            _html.Append("""
                </header>
                <main><p class="empty">No cycle yet. On a first start the demo company is being seeded; this page refreshes itself.</p></main>
                """);
        }
        else
        {
            RenderCycleHeader(snapshot);
            _html.Append("""<main><section class="objectives"><h2>Company objectives</h2>""");
            RenderObjectives(snapshot);
            _html.Append("""</section><aside class="kpis"><h2>KPI health</h2>""");
            RenderKpis();
            _html.Append("</aside></main>");
        }
        _html.Append($$"""
            <footer>
              Updated {{now.ToString("yyyy-MM-dd HH:mm:ss", Invariant)}} UTC · refreshes every 5 s ·
              API: <a href="/api/organisation">/api/organisation</a>
              {{(snapshot is null ? "" : $"· <a href=\"/api/cycles/{U(snapshot.Cycle.Id)}/snapshot\">/api/cycles/{H(snapshot.Cycle.Id)}/snapshot</a>")}}
              · <a href="/openapi/v1.json">OpenAPI</a> · <a href="/healthz">/healthz</a>
            </footer>
            </body>
            </html>
            """);
        return _html.ToString();
    }

    private void RenderCycleHeader(CycleSnapshot s)
    {
        var d = s.Cycle.Definition;
        var elapsed = Rules.ExpectedProgress(d.Start, d.End, now);
        var state = s.Cycle.Closed ? """<span class="pill closed">Closed</span>""" : "";
        _html.Append($$"""
              <div class="cycle">
                <strong>{{H(d.Name)}}</strong> {{state}}
                <span>{{d.Start.ToString("d MMM yyyy", Invariant)}} – {{d.End.AddTicks(-1).ToString("d MMM yyyy", Invariant)}}</span>
                <span>{{Pct(elapsed)}} of the cycle elapsed</span>
                <span class="muted">{{s.Objectives.Length}} objectives · {{s.KeyResults.Length}} key results</span>
              </div>
              <div class="legend">
                <span class="pill onTrack">On track</span><span class="pill atRisk">At risk</span>
                <span class="pill offTrack">Off track</span><span class="pill noData">No data</span>
                <span class="muted">▏ = where the cycle's pace expects progress to be today</span>
              </div>
            </header>
            """);
    }

    private void RenderObjectives(CycleSnapshot s)
    {
        var d = s.Cycle.Definition;
        var elapsed = Rules.ExpectedProgress(d.Start, d.End, now);
        var objectives = s.Objectives.ToDictionary(o => o.Id);
        var keyResults = s.KeyResults.ToDictionary(k => k.Id);
        var childrenOf = s.Edges.ToLookup(e => e.ParentId);
        var hasParent = s.Edges.Select(e => e.ChildId).ToHashSet();

        var company = s.Objectives.Where(o => o.Owner.Kind == OwnerKind.Company).OrderBy(o => o.Id, StringComparer.Ordinal).ToList();
        var unaligned = s.Objectives.Where(o => o.Owner.Kind != OwnerKind.Company && !hasParent.Contains(o.Id))
            .OrderBy(o => o.Owner.Kind).ThenBy(o => o.Id, StringComparer.Ordinal).ToList();
        if (company.Count == 0) _html.Append("""<p class="empty">No company objectives in this cycle yet.</p>""");

        foreach (var o in company.Concat(unaligned))
        {
            if (unaligned.Count > 0 && o == unaligned[0]) _html.Append("""<h2>Objectives aligned to nothing</h2>""");
            var score = s.Scores.GetValueOrDefault(o.Id);
            _html.Append($$"""
                <article class="card">
                  <div class="head">
                    <h3><a href="/api/objectives/{{U(o.Id)}}">{{H(o.Title)}}</a></h3>
                    {{StatusPill(score)}}
                  </div>
                  {{Bar(score?.Progress ?? 0, elapsed, score?.Status ?? Status.NoData, large: true)}}
                  <div class="meta">{{Pct(score?.Progress ?? 0)}} · {{Confidence(score)}}{{H(OwnerName(o.Owner))}}</div>
                """);
            if (!string.IsNullOrWhiteSpace(o.Description)) _html.Append($"""<p class="desc">{H(o.Description)}</p>""");

            var children = childrenOf[o.Id]
                .OrderBy(e => objectives.ContainsKey(e.ChildId) ? 0 : 1).ThenBy(e => e.ChildId, StringComparer.Ordinal).ToList();
            if (children.Count > 0) _html.Append("""<ul class="children">""");
            foreach (var edge in children)
            {
                var cs = s.Scores.GetValueOrDefault(edge.ChildId);
                string kind, title, detail, href;
                var expected = elapsed;
                if (objectives.TryGetValue(edge.ChildId, out var child))
                {
                    var grandChildren = childrenOf[child.Id].ToList();
                    var krs = grandChildren.Count(g => keyResults.ContainsKey(g.ChildId));
                    var objs = grandChildren.Count - krs;
                    kind = "Objective";
                    title = child.Title;
                    href = $"/api/objectives/{U(child.Id)}";
                    detail = $"{OwnerName(child.Owner)} · {Count(krs, "key result")}{(objs > 0 ? $", {Count(objs, "objective")}" : "")}";
                }
                else if (keyResults.TryGetValue(edge.ChildId, out var kr))
                {
                    kind = "Key result";
                    title = kr.Title;
                    expected = Rules.ExpectedFor(kr.Kind, elapsed);
                    href = $"/api/key-results/{U(kr.Id)}";
                    detail = $"{OwnerName(kr.Owner)} · {KeyResultValue(kr, cs)}";
                }
                else continue;
                var weight = edge.Weight == 1 ? "" : $""" <span class="weight">×{edge.Weight.ToString("0.##", Invariant)}</span>""";
                _html.Append($$"""
                    <li>
                      <div class="line">
                        <span class="kind">{{kind}}</span>
                        <a href="{{href}}">{{H(title)}}</a>{{weight}}
                        <span class="spacer"></span>
                        <span class="num">{{Pct(cs?.Progress ?? 0)}}</span>
                        {{StatusPill(cs)}}
                      </div>
                      {{Bar(cs?.Progress ?? 0, expected, cs?.Status ?? Status.NoData, large: false)}}
                      <div class="sub">{{H(detail)}}</div>
                    </li>
                    """);
            }
            if (children.Count > 0) _html.Append("</ul>");
            _html.Append("</article>");
        }
    }

    private void RenderKpis()
    {
        if (kpis.Count == 0) _html.Append("""<p class="empty">No KPIs yet.</p>""");
        foreach (var k in kpis.OrderBy(k => k.Definition.Name, StringComparer.Ordinal))
        {
            var def = k.Definition;
            var state = k.State;
            var health = state.Health;
            var latest = state.Latest is { } v ? $"{Num(v)}{UnitSuffix(def.Unit)}" : "—";
            var baseline = $"baseline {Num(def.Baseline)}{UnitSuffix(def.Unit)}";
            var dip = state.BelowBaseline ? """<span class="pill offTrack">below baseline</span>""" : "";
            var direction = def.Direction == Direction.HigherIsBetter ? "higher is better" : "lower is better";
            var linked = k.LinkedKeyResults.Length > 0 ? $" · feeds {Count(k.LinkedKeyResults.Length, "key result")}" : "";
            _html.Append($$"""
                <div class="kpi">
                  <div class="line">
                    <span class="dot {{Camel(health)}}" title="{{health}}"></span>
                    <a href="/api/kpis/{{U(def.Id)}}">{{H(def.Name)}}</a>
                    <span class="spacer"></span>
                    <span class="big">{{H(latest)}}</span>
                  </div>
                  <div class="line">
                    {{Sparkline(k)}}
                    <span class="spacer"></span>
                    {{dip}}
                  </div>
                  <div class="sub">{{H(HealthLabel(health))}} · {{H(baseline)}} · {{direction}}{{H(linked)}}</div>
                </div>
                """);
        }
    }

    /// <summary>A small inline SVG of the recent measurements with the baseline dashed.</summary>
    private static string Sparkline(KpiView k)
    {
        const double w = 160, h = 32, pad = 3;
        var values = k.Recent.Select(m => m.Value).ToList();
        if (values.Count == 0) return """<svg class="spark" width="160" height="32"></svg>""";
        var min = Math.Min(values.Min(), k.Definition.Baseline);
        var max = Math.Max(values.Max(), k.Definition.Baseline);
        if (max - min < 1e-9) { max += 1; min -= 1; }
        double X(int i) => values.Count == 1 ? w / 2 : pad + i * (w - 2 * pad) / (values.Count - 1);
        double Y(double v) => h - pad - (v - min) / (max - min) * (h - 2 * pad);
        var points = string.Join(' ', values.Select((v, i) => $"{X(i).ToString("0.#", Invariant)},{Y(v).ToString("0.#", Invariant)}"));
        var baseY = Y(k.Definition.Baseline).ToString("0.#", Invariant);
        var last = values.Count - 1;
        return $"""
            <svg class="spark" width="160" height="32" viewBox="0 0 160 32" role="img" aria-label="recent measurements">
              <line x1="0" x2="160" y1="{baseY}" y2="{baseY}" class="baseline"/>
              <polyline points="{points}" class="series {Camel(k.State.Health)}"/>
              <circle cx="{X(last).ToString("0.#", Invariant)}" cy="{Y(values[last]).ToString("0.#", Invariant)}" r="2.5" class="last {Camel(k.State.Health)}"/>
            </svg>
            """;
    }

    private static string Bar(double progress, double expected, Status status, bool large) =>
        $"""<div class="bar{(large ? " large" : "")}"><span class="fill {Camel(status)}" style="width:{Pct(progress)}"></span><i class="pace" style="left:{Pct(expected)}"></i></div>""";

    private static string StatusPill(NodeScore? score)
    {
        var status = score?.Status ?? Status.NoData;
        var grade = score?.Grade is { } g ? $" · grade {g.ToString("0.00", Invariant)}" : "";
        return $"""<span class="pill {Camel(status)}">{StatusLabel(status)}{grade}</span>""";
    }

    private static string Confidence(NodeScore? score) =>
        score?.Confidence is { } c ? $"confidence {Pct(c)} · " : "";

    private string KeyResultValue(KeyResultDefinition kr, NodeScore? score)
    {
        var unit = UnitSuffix(kr.Unit);
        var current = score is { NoData: false, Value: { } v } ? Num(v) : "no check-in yet";
        return kr.Kind switch
        {
            KeyResultKind.Milestone => score is { NoData: false, Value: >= 1 } ? "done" : "not done yet",
            KeyResultKind.StayAtOrAbove => $"now {current}{(score?.NoData == false ? unit : "")} (keep ≥ {Num(kr.Target)}{unit})",
            KeyResultKind.StayAtOrBelow => $"now {current}{(score?.NoData == false ? unit : "")} (keep ≤ {Num(kr.Target)}{unit})",
            KeyResultKind.KpiLinked => $"now {current}{(score?.NoData == false ? unit : "")} · {Num(kr.Start)} → {Num(kr.Target)}{unit} · from KPI {kr.KpiId}",
            _ => $"now {current}{(score?.NoData == false ? unit : "")} · {Num(kr.Start)} → {Num(kr.Target)}{unit}",
        };
    }

    private string OwnerName(Owner owner) => owner.Kind switch
    {
        OwnerKind.Company => organisation.CompanyName is { Length: > 0 } n ? n : owner.Id,
        OwnerKind.Team => organisation.Teams.FirstOrDefault(t => t.Id == owner.Id)?.Name ?? owner.Id,
        OwnerKind.Person => organisation.People.FirstOrDefault(p => p.Id == owner.Id)?.Name ?? owner.Id,
        _ => owner.Id,
    };

    private static string StatusLabel(Status status) => status switch
    {
        Status.OnTrack => "On track",
        Status.AtRisk => "At risk",
        Status.OffTrack => "Off track",
        _ => "No data",
    };

    private static string HealthLabel(Health health) => health switch
    {
        Health.Green => "Healthy",
        Health.Yellow => "Watch",
        Health.Red => "Unhealthy",
        _ => "No data",
    };

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
    private static string UnitSuffix(string unit) => unit.Length == 0 ? "" : unit == "%" ? "%" : $" {unit}";
    private static string Num(double v) => v.ToString("#,0.##", Invariant);
    private static string Pct(double fraction) => $"{Math.Round(Math.Clamp(fraction, 0, 1) * 100).ToString(Invariant)}%";
    private static string Camel<T>(T value) where T : struct, Enum { var s = value.ToString(); return char.ToLowerInvariant(s[0]) + s[1..]; }
    private static string H(string s) => HtmlEncoder.Default.Encode(s);
    private static string U(string s) => UrlEncoder.Default.Encode(s);

    private const string Css = """
        :root { --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --muted:#6b7280; --line:#e5e7eb;
                --green:#1f9d55; --amber:#d98b00; --red:#d64545; --grey:#9ca3af; --accent:#3b5bdb; }
        * { box-sizing:border-box; }
        body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
        header { padding:20px 32px 14px; background:var(--card); border-bottom:1px solid var(--line); }
        .brand { font-size:12px; letter-spacing:.12em; text-transform:uppercase; color:var(--accent); font-weight:600; }
        h1 { margin:2px 0 6px; font-size:26px; }
        h2 { font-size:13px; text-transform:uppercase; letter-spacing:.08em; color:var(--muted); margin:0 0 12px; }
        h3 { margin:0; font-size:16px; }
        a { color:inherit; text-decoration:none; } a:hover { text-decoration:underline; }
        .cycle { display:flex; gap:18px; align-items:baseline; flex-wrap:wrap; }
        .cycle strong { font-size:16px; }
        .legend { display:flex; gap:8px; align-items:center; margin-top:10px; flex-wrap:wrap; }
        .muted { color:var(--muted); }
        main { display:grid; grid-template-columns:minmax(0,1fr) 360px; gap:24px; padding:24px 32px; align-items:start; }
        .card, .kpi { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; margin-bottom:16px; }
        .kpi { padding:12px 14px; margin-bottom:12px; }
        .head, .line { display:flex; align-items:center; gap:10px; }
        .head h3 { flex:1; }
        .spacer { flex:1; }
        .meta { color:var(--muted); margin-top:6px; }
        .desc { margin:6px 0 0; color:var(--muted); font-style:italic; }
        .children { list-style:none; margin:14px 0 0; padding:0; border-top:1px solid var(--line); }
        .children li { padding:9px 0 8px 14px; border-bottom:1px solid var(--line); border-left:3px solid var(--line); }
        .children li:last-child { border-bottom:0; }
        .kind { font-size:11px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); width:78px; flex:none; }
        .weight { color:var(--muted); font-size:12px; }
        .num { font-variant-numeric:tabular-nums; font-weight:600; width:42px; text-align:right; }
        .big { font-size:18px; font-weight:600; font-variant-numeric:tabular-nums; }
        .sub { color:var(--muted); font-size:12px; margin-top:3px; }
        .bar { position:relative; height:6px; background:#eceef2; border-radius:3px; margin-top:6px; }
        .bar.large { height:10px; border-radius:5px; margin-top:12px; }
        .bar .fill { position:absolute; left:0; top:0; bottom:0; border-radius:inherit; }
        .bar .pace { position:absolute; top:-3px; bottom:-3px; width:2px; margin-left:-1px; background:var(--ink); opacity:.45; }
        .pill { display:inline-block; font-size:11px; font-weight:600; padding:2px 8px; border-radius:999px; white-space:nowrap; color:#fff; }
        .onTrack { background:var(--green); } .atRisk { background:var(--amber); } .offTrack { background:var(--red); } .noData { background:var(--grey); }
        .closed { background:var(--ink); }
        .dot { width:10px; height:10px; border-radius:50%; flex:none; }
        .green { background:var(--green); } .yellow { background:var(--amber); } .red { background:var(--red); }
        .spark .baseline { stroke:#9ca3af; stroke-dasharray:3 3; stroke-width:1; }
        .spark .series { fill:none; stroke-width:1.8; stroke:var(--accent); }
        .spark circle.green { fill:var(--green); } .spark circle.yellow { fill:var(--amber); } .spark circle.red { fill:var(--red); } .spark circle.noData { fill:var(--grey); }
        .empty { color:var(--muted); }
        footer { padding:8px 32px 28px; color:var(--muted); font-size:12px; }
        footer a { color:var(--accent); }
        @media (max-width: 900px) { main { grid-template-columns:1fr; } }
        """;
}
