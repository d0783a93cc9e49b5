using System.Text.Json.Serialization;
using OkrGrid.Model;

namespace OkrGrid.Planning;

/// <summary>A proposed structural change of a cycle: what a planner's scenario is made of.</summary>
/// <remarks>In JSON each move names its kind: <c>moveKeyResult</c>, <c>realignObjective</c> or <c>changeWeight</c>.</remarks>
// Stored polymorphically in a scenario's grain state: Orleans writes the alias of each move's type. Aliases follow
// "okr.<area>.<kebab-case type name>" (CONTRIBUTING.md); once shipped an alias never changes. Payloads written before
// the aliases name the type by namespace and still read (Orleans falls back to the type name; StoredPayloadTests).
[GenerateSerializer, Immutable, Alias("okr.planning.plan-move")]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(MoveKeyResult), "moveKeyResult")]
[JsonDerivedType(typeof(RealignObjective), "realignObjective")]
[JsonDerivedType(typeof(ChangeWeight), "changeWeight")]
public abstract record PlanMove
{
    /// <summary>The node the move is about (for listing and highlighting).</summary>
    public abstract string SubjectId { get; }
}

/// <summary>Moves a key result under another objective (keeping its weight unless one is given).</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.move-key-result")]
public sealed record MoveKeyResult(
    [property: Id(0)] string KeyResultId,
    [property: Id(1)] string ObjectiveId,
    [property: Id(2)] double? Weight = null) : PlanMove
{
    public override string SubjectId => KeyResultId;
}

/// <summary>Replaces an objective's parents (empty: aligned to nothing).</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.realign-objective")]
public sealed record RealignObjective(
    [property: Id(0)] string ObjectiveId,
    [property: Id(1)] ImmutableArray<ParentLink> Parents) : PlanMove
{
    public override string SubjectId => ObjectiveId;
}

/// <summary>Changes the weight a child carries in one of its parents.</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.change-weight")]
public sealed record ChangeWeight(
    [property: Id(0)] string ParentId,
    [property: Id(1)] string ChildId,
    [property: Id(2)] double Weight) : PlanMove
{
    public override string SubjectId => ChildId;
}

/// <summary>A move left out of a simulation, with the field and the reason (as the engine would refuse it).</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.rejected-move")]
public sealed record RejectedMove(
    [property: Id(0)] int Index,
    [property: Id(1)] PlanMove Move,
    [property: Id(2)] string Field,
    [property: Id(3)] string Reason);
