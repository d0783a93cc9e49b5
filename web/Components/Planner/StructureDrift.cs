using OkrGrid.Planning;

namespace OkrGrid.Web.Components.Planner;

/// <summary>
/// Whether the live structure takes a scenario's moves differently from the structure it was simulated on: a move
/// refused now and not then (or the other way round), or other objectives on the chains the moves change. Scores play
/// no part: check-ins move the numbers all day (and the demo's activity does nothing else), while a scenario is worth
/// re-checking when the live alignment no longer is what it was planned against.
/// </summary>
public static class StructureDrift
{
    /// <summary>At most this many differences are named; the rest are counted.</summary>
    public const int Named = 4;

    /// <summary>
    /// The differences between the simulation shown and the same moves simulated on the live structure, in words;
    /// empty when the moves land the same way.
    /// </summary>
    public static ImmutableArray<string> Between(SimulationResult simulated, SimulationResult live, int moves,
        Func<string, string> titleOf, Func<string, string> humanize)
    {
        var found = new List<string>();
        for (int i = 0; i < moves; i++)
        {
            var then = simulated.Rejected.FirstOrDefault(r => r.Index == i);
            var now = live.Rejected.FirstOrDefault(r => r.Index == i);
            if (then is null && now is not null)
                found.Add($"Move {i + 1} would now be left out: {humanize(now.Reason).TrimEnd('.')}.");
            else if (then is not null && now is null)
                found.Add($"Move {i + 1} is no longer left out.");
            else if (then is not null && now is not null && then.Field != now.Field)
                found.Add($"Move {i + 1} is now left out for another reason: {humanize(now.Reason).TrimEnd('.')}.");
        }
        var before = simulated.Impacts.ToDictionary(i => i.NodeId);
        var after = live.Impacts.ToDictionary(i => i.NodeId);
        foreach (var id in after.Keys.Except(before.Keys).Order(StringComparer.Ordinal))
            found.Add($"“{titleOf(id)}” is now above what the moves change.");
        foreach (var id in before.Keys.Except(after.Keys).Order(StringComparer.Ordinal))
            found.Add($"“{titleOf(id)}” is no longer above what the moves change.");
        foreach (var id in before.Keys.Intersect(after.Keys).Order(StringComparer.Ordinal))
        {
            var (b, a) = (before[id], after[id]);
            if (b.OnOldChain != a.OnOldChain || b.OnNewChain != a.OnNewChain)
                found.Add($"“{titleOf(id)}” is now on {Chain(a)} instead of {Chain(b)}.");
        }
        return found.Count <= Named + 1 ? [.. found] : [.. found.Take(Named), $"…and {found.Count - Named} more."];
    }

    private static string Chain(NodeImpact i) => (i.OnOldChain, i.OnNewChain) switch
    {
        (true, true) => "both chains",
        (true, false) => "the old chain",
        (false, true) => "the new chain",
        _ => "neither chain",
    };
}
