namespace OkrGrid.Web.Components.Shared;

/// <summary>A key result as a card or row shows it: definition, live score, owner's name and the pace it is held to.</summary>
public sealed record KeyResultItem(KeyResultDefinition Definition, NodeScore? Score, string OwnerName, double Expected)
{
    public string Id => Definition.Id;
    public Status Status => Score?.Status ?? Status.NoData;
    public bool HasValue => Score is { NoData: false, Value: not null };
}

/// <summary>An objective with its live score, its key results and, for cards, a hint such as "just turned at risk".</summary>
public sealed record ObjectiveItem(
    ObjectiveDefinition Definition,
    NodeScore? Score,
    string OwnerName,
    double Expected,
    IReadOnlyList<KeyResultItem> KeyResults,
    int ChildObjectives = 0,
    string? Marker = null)
{
    public string Id => Definition.Id;
    public Status Status => Score?.Status ?? Status.NoData;
    public double Progress => Score?.Progress ?? 0;
}

/// <summary>The words for a key result's value, target and progress, by kind.</summary>
public static class KeyResultText
{
    /// <summary>The current value with its unit ("9 customers", "99.95%", "Done"), or "—" before any check-in.</summary>
    public static string Current(KeyResultDefinition kr, NodeScore? score)
    {
        if (score is not { NoData: false, Value: { } value }) return kr.Kind == KeyResultKind.Milestone ? "Not yet" : "—";
        return kr.Kind == KeyResultKind.Milestone ? (value >= 1 ? "Done" : "Not yet") : Fmt.WithUnit(value, kr.Unit);
    }

    /// <summary>The current value without its unit, for a big number ("9"); milestones say done / not yet.</summary>
    public static string CurrentNumber(KeyResultDefinition kr, NodeScore? score)
    {
        if (score is not { NoData: false, Value: { } value }) return kr.Kind == KeyResultKind.Milestone ? "Not yet" : "—";
        return kr.Kind == KeyResultKind.Milestone ? (value >= 1 ? "Done" : "Not yet") : Fmt.Num(value);
    }

    /// <summary>The unit shown after <see cref="CurrentNumber"/> ("%" and words alike, "customer" after 1), empty for milestones.</summary>
    public static string Unit(KeyResultDefinition kr, NodeScore? score) =>
        kr.Kind == KeyResultKind.Milestone || score is not { NoData: false, Value: not null } ? "" : Fmt.UnitFor(CurrentNumber(kr, score), kr.Unit);

    /// <summary>"target 15 customers", "keep ≥ 99.9%", "from 6 h to 2 h", "milestone".</summary>
    public static string Target(KeyResultDefinition kr) => kr.Kind switch
    {
        KeyResultKind.StayAtOrAbove => $"keep ≥ {Fmt.WithUnit(kr.Target, kr.Unit)}",
        KeyResultKind.StayAtOrBelow => $"keep ≤ {Fmt.WithUnit(kr.Target, kr.Unit)}",
        KeyResultKind.Milestone => "milestone",
        _ => $"target {Fmt.WithUnit(kr.Target, kr.Unit)}",
    };

    /// <summary>The target next to a value that already shows the unit: "target 15", "target 99.5%", "keep ≥ 99.9%".</summary>
    public static string TargetShort(KeyResultDefinition kr) => kr.Kind switch
    {
        KeyResultKind.Increase or KeyResultKind.Decrease or KeyResultKind.KpiLinked =>
            "target " + (kr.Unit == "%" ? Fmt.WithUnit(kr.Target, kr.Unit) : Fmt.Num(kr.Target)),
        _ => Target(kr),
    };

    /// <summary>"from 6 h to 2 h" — the whole range, for detail pages.</summary>
    public static string Range(KeyResultDefinition kr) => kr.Kind switch
    {
        KeyResultKind.StayAtOrAbove => $"stay at or above {Fmt.WithUnit(kr.Target, kr.Unit)}",
        KeyResultKind.StayAtOrBelow => $"stay at or below {Fmt.WithUnit(kr.Target, kr.Unit)}",
        KeyResultKind.Milestone => "done or not done",
        _ => $"from {(kr.Unit == "%" ? Fmt.WithUnit(kr.Start, kr.Unit) : Fmt.Num(kr.Start))} to {Fmt.WithUnit(kr.Target, kr.Unit)}",
    };

    /// <summary>Progress in words: "60%" (raw, may pass 100%), "holding" / "breached", "done" / "not yet".</summary>
    public static string Progress(KeyResultDefinition kr, NodeScore? score)
    {
        if (score is null || score.NoData) return "no data";
        return kr.Kind switch
        {
            KeyResultKind.StayAtOrAbove or KeyResultKind.StayAtOrBelow => score.Progress >= 1 ? "holding" : "breached",
            KeyResultKind.Milestone => score.Progress >= 1 ? "done" : "not yet",
            _ => Fmt.Pct(score.RawProgress),
        };
    }

    public static string KindLabel(KeyResultKind kind) => kind switch
    {
        KeyResultKind.Increase => "Increase",
        KeyResultKind.Decrease => "Decrease",
        KeyResultKind.StayAtOrAbove => "Stay at or above",
        KeyResultKind.StayAtOrBelow => "Stay at or below",
        KeyResultKind.Milestone => "Milestone",
        KeyResultKind.KpiLinked => "Linked to a KPI",
        _ => kind.ToString(),
    };
}
