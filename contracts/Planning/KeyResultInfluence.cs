using OkrGrid.Model;

namespace OkrGrid.Planning;

/// <summary>How much a key result moves an objective: the change of the objective's progress per unit of its own.</summary>
[GenerateSerializer, Immutable, Alias("okr.planning.key-result-influence")]
public sealed record KeyResultInfluence(
    [property: Id(0)] string KeyResultId,
    [property: Id(1)] string Title,
    [property: Id(2)] Owner Owner,
    [property: Id(3)] double Influence,
    [property: Id(4)] double Progress);
