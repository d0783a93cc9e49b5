using OkrGrid.Access;
using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>What a node grain needs from its cycle to compute its score.</summary>
[GenerateSerializer, Immutable, Alias("okr.grains.objective-setup")]
public sealed record ObjectiveSetup(
    [property: Id(0)] ObjectiveDefinition Definition,
    [property: Id(1)] CycleWindow Window,
    [property: Id(2)] ScoringPolicy Policy,
    [property: Id(3)] ImmutableArray<string> Parents,
    [property: Id(4)] ImmutableArray<ChildLink> Children,
    [property: Id(5)] NodeScore? Frozen);

[GenerateSerializer, Immutable, Alias("okr.grains.key-result-setup")]
public sealed record KeyResultSetup(
    [property: Id(0)] KeyResultDefinition Definition,
    [property: Id(1)] CycleWindow Window,
    [property: Id(2)] ScoringPolicy Policy,
    [property: Id(3)] string? ObjectiveId,
    [property: Id(4)] double Weight,
    [property: Id(5)] NodeScore? Frozen,
    [property: Id(6)] string CompanyId = "");

/// <summary>
/// One cycle's structure: its objectives, key results and the alignment edges between them. Every structural
/// change goes through here, one at a time, so a change is validated against the whole graph (no alignment
/// cycles, no cross-cycle parents) and written in one state write: all or nothing. Key: the cycle id.
/// Each command takes the <see cref="Actor"/> asking for it (null: the engine itself): refused (Forbidden) unless
/// <see cref="Permissions"/> allow it, and written with the change into the audit trail.
/// </summary>
[Alias("okr.grains.cycle-grain")]
public interface ICycleGrain : IGrainWithStringKey
{
    [Alias("Initialize")] Task InitializeAsync(string companyId, CycleDefinition definition, ScoringPolicy policy);
    [Alias("GetInfo"), AlwaysInterleave] Task<CycleInfo> GetInfoAsync();

    [Alias("CreateObjective")] Task<ObjectiveDefinition> CreateObjectiveAsync(ObjectiveDraft draft, Actor? actor = null);
    [Alias("EditObjective")] Task<ObjectiveDefinition> EditObjectiveAsync(string objectiveId, ObjectiveEdit edit, Actor? actor = null);
    [Alias("CreateKeyResult")] Task<KeyResultDefinition> CreateKeyResultAsync(KeyResultDraft draft, Actor? actor = null);
    [Alias("EditKeyResult")] Task<KeyResultDefinition> EditKeyResultAsync(string keyResultId, KeyResultEdit edit, Actor? actor = null);

    /// <summary>Deletes a node; with children it is refused unless <paramref name="detachChildren"/>.</summary>
    [Alias("Delete")] Task DeleteAsync(string nodeId, bool detachChildren, Actor? actor = null);

    /// <summary>Replaces an objective's parents (empty: aligned to nothing).</summary>
    [Alias("AlignObjective")] Task AlignObjectiveAsync(string objectiveId, ImmutableArray<ParentLink> parents, Actor? actor = null);

    /// <summary>Moves a key result to another objective (null: detach it).</summary>
    [Alias("MoveKeyResult")] Task MoveKeyResultAsync(string keyResultId, string? objectiveId, double? weight = null, Actor? actor = null);

    [Alias("SetWeight")] Task SetWeightAsync(string parentId, string childId, double weight, Actor? actor = null);

    /// <summary>
    /// Applies a planner scenario's moves together, in order, validated on the live graph as the earlier moves leave
    /// it — all or none: the first invalid move refuses the whole set, naming it ("moves[i].field").
    /// </summary>
    [Alias("ApplyMoves")] Task ApplyMovesAsync(ImmutableArray<OkrGrid.Planning.PlanMove> moves, Actor? actor = null, string? scenarioId = null);

    /// <summary>
    /// Adds many nodes and edges at once — an organisation's import — validated as a whole and written in one
    /// state write. Ids are full node ids of this cycle; edges may also point at nodes that already exist.
    /// </summary>
    /// With <paramref name="effectiveAt"/> (the system only: seeding, migrations) the import takes effect at that earlier
    /// instant — never before the cycle's previous change.
    [ResponseTimeout("00:10:00")] // an organisation's import: far longer than an interactive call's limit
    [Alias("Import")]
    Task ImportAsync(ImmutableArray<ObjectiveDefinition> objectives, ImmutableArray<KeyResultDefinition> keyResults, ImmutableArray<Edge> edges,
        Actor? actor = null, DateTimeOffset? effectiveAt = null);

    /// <summary>
    /// Creates or replaces the listed nodes and sets their parents, validated as a whole against the live structure and
    /// committed as one change (a cycle's import; admins only). Refused whole, naming "objectives[i].field",
    /// "keyResults[i].field" or "edges[i].field". See <see cref="OkrGrid.Structure.CycleUpsert"/>.
    /// </summary>
    [Alias("Upsert")] Task UpsertAsync(OkrGrid.Structure.CycleUpsert upsert, Actor? actor = null);

    [Alias("SetPolicy")] Task SetPolicyAsync(ScoringPolicy policy, Actor? actor = null);

    /// <summary>Freezes every objective and key result with its final grade; check-ins are refused after.</summary>
    [Alias("Close")] Task<CycleInfo> CloseAsync(Actor? actor = null);
    [Alias("Reopen")] Task<CycleInfo> ReopenAsync(Actor? actor = null);

    /// <summary>
    /// Copies unfinished objectives (grade below 1) and their key results into an open target cycle; each copied
    /// key result starts where the old one ended. Returns the new objectives.
    /// </summary>
    [Alias("CarryOver")] Task<ImmutableArray<ObjectiveDefinition>> CarryOverAsync(string targetCycleId, ImmutableArray<string> objectiveIds, Actor? actor = null);

    [Alias("GetObjectiveSetup"), AlwaysInterleave] Task<ObjectiveSetup?> GetObjectiveSetupAsync(string objectiveId);
    [Alias("GetKeyResultSetup"), AlwaysInterleave] Task<KeyResultSetup?> GetKeyResultSetupAsync(string keyResultId);

    /// <summary>
    /// The current scores of some of an objective's children, for the objective as it activates or gains them.
    /// Children active in the silo give their published score; the others are scored from their facts (their
    /// subtree's journal entries) without being woken — so activating an objective never activates its subtree.
    /// </summary>
    [Alias("GetChildScores"), AlwaysInterleave] Task<ImmutableArray<NodeScore>> GetChildScoresAsync(string objectiveId, ImmutableArray<string> childIds);

    /// <summary>The whole graph with every node's current score.</summary>
    [Alias("GetSnapshot"), AlwaysInterleave] Task<CycleSnapshot> GetSnapshotAsync();

    /// <summary>
    /// Changes with every committed change of the structure (nodes, edges, weights, policy, closing): equal versions
    /// mean the same structure. Cheap, unlike a snapshot.
    /// </summary>
    [Alias("GetStructureVersion"), AlwaysInterleave] Task<long> GetStructureVersionAsync();

    /// <summary>
    /// The graph and every node's score as they were at <paramref name="at"/>: the structure committed by then (a
    /// change counts from the instant it took effect) and, for each key result, the latest check-in or measurement
    /// dated at or before it — whenever it was recorded. Refused (field "at") before the cycle existed or in the future.
    /// </summary>
    [Alias("GetSnapshotAt"), AlwaysInterleave] Task<CycleSnapshot> GetSnapshotAtAsync(DateTimeOffset at);

    /// <summary>The structure at <paramref name="from"/> (clamped to the cycle's creation) and every change after it.</summary>
    [Alias("GetStructureTimeline"), AlwaysInterleave] Task<OkrGrid.Structure.StructureTimeline> GetStructureTimelineAsync(DateTimeOffset from);

    /// <summary>
    /// The check-ins of a key result of this cycle read from the journal, oldest first — for one deleted since, whose
    /// grain no longer answers, so that a history over a time it existed still has its facts.
    /// </summary>
    [Alias("GetPastCheckIns"), AlwaysInterleave] Task<ImmutableArray<CheckIn>> GetPastCheckInsAsync(string keyResultId);

    /// <summary>When the cycle's structure was first recorded: the earliest instant it can be looked at.</summary>
    [Alias("GetCreatedAt"), AlwaysInterleave] Task<DateTimeOffset> GetCreatedAtAsync();
}
