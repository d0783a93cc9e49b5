namespace OkrGrid.Model;

/// <summary>
/// Objectives and key results belong to one cycle, and their ids say which: "{cycleId}:{local}". That lets a
/// node grain find its cycle without a directory look-up.
/// </summary>
public static class NodeIds
{
    /// <summary>Between the cycle and the node (a cycle id has none): the journal reads a cycle's nodes as one range of ids.</summary>
    public const char Separator = ':';

    public static string Compose(string cycleId, string local) => $"{cycleId}{Separator}{local}";

    public static string? CycleOf(string nodeId)
    {
        var i = nodeId.IndexOf(Separator);
        return i > 0 ? nodeId[..i] : null;
    }
}
