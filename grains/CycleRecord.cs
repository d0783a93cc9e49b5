using OkrGrid.Access;

namespace OkrGrid.Engine;

/// <summary>
/// How a cycle's structure was stored before the structure log (migration 0005): one grain-state row holding all of it.
/// Read only, to move a cycle stored this way into the log when it first activates; never written any more.
/// </summary>
[GenerateSerializer, Alias("okr.state.cycle-record")]
public sealed class CycleRecord
{
    [Id(0)] public string CompanyId { get; set; } = "";
    [Id(1)] public CycleDefinition? Definition { get; set; }
    [Id(2)] public ScoringPolicy Policy { get; set; } = ScoringPolicy.Default;
    [Id(3)] public bool Closed { get; set; }
    [Id(4)] public DateTimeOffset? ClosedAt { get; set; }
    [Id(5)] public Dictionary<string, ObjectiveDefinition> Objectives { get; set; } = [];
    [Id(6)] public Dictionary<string, KeyResultDefinition> KeyResults { get; set; } = [];
    [Id(7)] public List<Edge> Edges { get; set; } = [];
    /// <summary>Final scores (with grades) of every node, set when the cycle closes.</summary>
    [Id(8)] public Dictionary<string, NodeScore> Frozen { get; set; } = [];
    [Id(9)] public long NextId { get; set; } = 1;

    /// <summary>The number of the last audit entry this cycle wrote.</summary>
    [Id(10)] public long AuditSeq { get; set; }

    /// <summary>
    /// Audit entries written with their change but not yet known to be in the audit table: the change and its entry
    /// are one state write, and the entry is handed to the audit log after it (again on activation if need be).
    /// </summary>
    [Id(11)] public List<AuditEntry> PendingAudit { get; set; } = [];

    public CycleRecord Clone() => new()
    {
        CompanyId = CompanyId, Definition = Definition, Policy = Policy, Closed = Closed, ClosedAt = ClosedAt,
        Objectives = new(Objectives), KeyResults = new(KeyResults), Edges = [.. Edges], Frozen = new(Frozen), NextId = NextId,
        AuditSeq = AuditSeq, PendingAudit = [.. PendingAudit],
    };

    public void CopyFrom(CycleRecord other)
    {
        CompanyId = other.CompanyId; Definition = other.Definition; Policy = other.Policy; Closed = other.Closed;
        ClosedAt = other.ClosedAt; Objectives = other.Objectives; KeyResults = other.KeyResults; Edges = other.Edges;
        Frozen = other.Frozen; NextId = other.NextId; AuditSeq = other.AuditSeq; PendingAudit = other.PendingAudit;
    }
}
