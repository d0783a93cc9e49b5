using OkrGrid.Planning;
using OkrGrid.Web.Components.Shared;

namespace OkrGrid.Web.Components.Planner;

/// <summary>
/// What <em>Apply</em> does with a scenario's moves as last simulated: the moves the simulation kept are applied, the
/// ones it left out are not (the cycle takes all moves or none, so a scenario that still held them would be refused).
/// The button counts the moves applied and says why it cannot apply, in words shown beside it — not in a tooltip,
/// which a disabled button never shows.
/// </summary>
public sealed record ApplyPlan(ImmutableArray<PlanMove> Applied, ImmutableArray<RejectedMove> LeftOut)
{
    /// <param name="rejected">The simulation's left-out moves, by index into <paramref name="moves"/>.</param>
    public static ApplyPlan Of(IReadOnlyList<PlanMove> moves, IEnumerable<RejectedMove> rejected)
    {
        var left = rejected.Where(r => r.Index >= 0 && r.Index < moves.Count).DistinctBy(r => r.Index).OrderBy(r => r.Index).ToImmutableArray();
        var skipped = left.Select(r => r.Index).ToHashSet();
        return new ApplyPlan([.. moves.Where((_, i) => !skipped.Contains(i))], left);
    }

    public int Total => Applied.Length + LeftOut.Length;

    /// <summary>"Apply 2 moves": the moves that reach the live graph, never the ones left out.</summary>
    public string Label => Applied.Length == 0 ? "Apply" : $"Apply {Fmt.Plural(Applied.Length, "move")}";

    /// <summary>Why there is nothing to apply; null when there is.</summary>
    public string? Blocked =>
        Total == 0 ? "Add a move first."
        : Applied.Length == 0 ? (LeftOut.Length == 1 ? "Nothing to apply: the only move is left out." : $"Nothing to apply: all {LeftOut.Length} moves are left out.")
        : null;

    /// <summary>What happens to the moves left out when applying; null when none is.</summary>
    public string? LeftOutNote =>
        LeftOut.Length == 0 || Applied.Length == 0 ? null
        : $"{Fmt.Plural(LeftOut.Length, "move")} left out {(LeftOut.Length == 1 ? "is" : "are")} not applied: applying removes {(LeftOut.Length == 1 ? "it" : "them")} from the scenario.";
}
