namespace OkrGrid.Model;

/// <summary>A named, time-boxed period (e.g. 2026-Q4) that objectives and key results belong to.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.cycle-definition")]
public sealed record CycleDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset Start,
    [property: Id(3)] DateTimeOffset End);

[GenerateSerializer, Immutable, Alias("okr.model.cycle-info")]
public sealed record CycleInfo(
    [property: Id(0)] CycleDefinition Definition,
    [property: Id(1)] bool Closed,
    [property: Id(2)] DateTimeOffset? ClosedAt)
{
    public string Id => Definition.Id;
}

/// <summary>Company-wide thresholds for status and grading (configurable per company).</summary>
[GenerateSerializer, Immutable, Alias("okr.model.scoring-policy")]
public sealed record ScoringPolicy(
    [property: Id(0)] double OnTrackMargin,
    [property: Id(1)] double AtRiskMargin,
    [property: Id(2)] double StretchMet)
{
    /// <summary>On track within 0.10 of the expected pace, at risk within 0.25, a grade of 0.7 meets a stretch goal.</summary>
    public static ScoringPolicy Default { get; } = new(0.10, 0.25, 0.7);
}

/// <summary>What a node needs to know of its cycle to compute its status.</summary>
[GenerateSerializer, Immutable, Alias("okr.model.cycle-window")]
public sealed record CycleWindow(
    [property: Id(0)] DateTimeOffset Start,
    [property: Id(1)] DateTimeOffset End,
    [property: Id(2)] bool Closed);

public static class Cycles
{
    /// <summary>The cycle dashboards show by default: the open one containing now; else the latest that has started; else the first.</summary>
    public static CycleInfo? Current(ImmutableArray<CycleInfo> cycles, DateTimeOffset now) =>
        // Several open cycles can contain now (a year and its quarter): the one that started last, then the shorter,
        // then by id — one answer whatever order the cycles are listed in.
        cycles.Where(c => !c.Closed && c.Definition.Start <= now && now < c.Definition.End)
            .OrderByDescending(c => c.Definition.Start).ThenBy(c => c.Definition.End).ThenBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault()
        ?? cycles.Where(c => c.Definition.Start <= now).OrderByDescending(c => c.Definition.Start).ThenBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault()
        ?? cycles.OrderBy(c => c.Definition.Start).ThenBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault();
}
