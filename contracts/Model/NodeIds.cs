namespace OkrGrid.Model;

/// <summary>
/// Objectives and key results belong to one cycle, and their ids say which: "{cycleId}:{local}". That lets a
/// node grain find its cycle without a directory look-up.
/// </summary>
public static class NodeIds
{
    public static string Compose(string cycleId, string local) => $"{cycleId}:{local}";

    public static string? CycleOf(string nodeId)
    {
        var i = nodeId.IndexOf(':');
        return i > 0 ? nodeId[..i] : null;
    }
}
