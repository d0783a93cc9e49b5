namespace OkrGrid.Workload;

/// <summary>
/// The one comparison of an engine snapshot with the pure reference, shared by the tests and the benchmark: progress,
/// raw progress, status, no-data and confidence, to 1e-9.
/// </summary>
public static class ReferenceCheck
{
    public static List<string> Differences(CycleSnapshot snapshot, IReadOnlyDictionary<string, NodeScore> reference)
    {
        var diffs = new List<string>();
        foreach (var (id, expected) in reference)
        {
            if (!snapshot.Scores.TryGetValue(id, out var actual)) { diffs.Add($"{id}: missing"); continue; }
            if (!Same(actual, expected)) diffs.Add($"{id}: engine {Describe(actual)} vs reference {Describe(expected)}");
        }
        return diffs;
    }

    /// <summary>One node's score against the reference's, by the rules above.</summary>
    public static bool Same(NodeScore actual, NodeScore expected) =>
        !(Math.Abs(actual.Progress - expected.Progress) > 1e-9 || Math.Abs(actual.RawProgress - expected.RawProgress) > 1e-9
          || actual.Status != expected.Status || actual.NoData != expected.NoData
          || Math.Abs((actual.Confidence ?? -1) - (expected.Confidence ?? -1)) > 1e-9);

    public static string Describe(NodeScore s) =>
        $"p={s.Progress:F6} raw={s.RawProgress:F6} {s.Status} conf={s.Confidence:F3} noData={s.NoData}";
}
