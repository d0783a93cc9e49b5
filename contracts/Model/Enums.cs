namespace OkrGrid.Model;

/// <summary>
/// What a change-feed entry is about. <see cref="Cycle"/> and <see cref="Organisation"/> carry no score: they say the
/// structure changed (nodes added, moved, re-aligned, deleted; teams, people, cycles or KPIs added), so a listener
/// re-reads it.
/// </summary>
[Alias("okr.model.node-kind")]
public enum NodeKind { Objective, KeyResult, Kpi, Cycle, Organisation, Scenario }

[Alias("okr.model.owner-kind")]
public enum OwnerKind { Company, Team, Person }

/// <summary>Which children an objective's progress is computed from.</summary>
[Alias("okr.model.roll-up-mode")]
public enum RollUpMode { KeyResultsAndObjectives, KeyResultsOnly, ObjectivesOnly }

[Alias("okr.model.key-result-kind")]
public enum KeyResultKind
{
    /// <summary>Move a number up from start to target.</summary>
    Increase,
    /// <summary>Move a number down from start to target.</summary>
    Decrease,
    /// <summary>Keep a number at or above the target.</summary>
    StayAtOrAbove,
    /// <summary>Keep a number at or below the target.</summary>
    StayAtOrBelow,
    /// <summary>Done (1) or not done (0).</summary>
    Milestone,
    /// <summary>Current value is the linked KPI's latest measurement; progress as for increase/decrease.</summary>
    KpiLinked,
}

[Alias("okr.model.status")]
public enum Status { NoData, OnTrack, AtRisk, OffTrack }

[Alias("okr.model.direction")]
public enum Direction { HigherIsBetter, LowerIsBetter }

[Alias("okr.model.health")]
public enum Health { NoData, Green, Yellow, Red }
