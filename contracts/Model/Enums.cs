namespace OkrGrid.Model;

/// <summary>
/// What a change-feed entry is about. <see cref="Cycle"/> and <see cref="Organisation"/> carry no score: they say the
/// structure changed (nodes added, moved, re-aligned, deleted; teams, people, cycles or KPIs added), so a listener
/// re-reads it.
/// </summary>
public enum NodeKind { Objective, KeyResult, Kpi, Cycle, Organisation, Scenario }

public enum OwnerKind { Company, Team, Person }

/// <summary>Which children an objective's progress is computed from.</summary>
public enum RollUpMode { KeyResultsAndObjectives, KeyResultsOnly, ObjectivesOnly }

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

public enum Status { NoData, OnTrack, AtRisk, OffTrack }

public enum Direction { HigherIsBetter, LowerIsBetter }

public enum Health { NoData, Green, Yellow, Red }
