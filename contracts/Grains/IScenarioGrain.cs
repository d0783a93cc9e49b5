using OkrGrid.Access;
using OkrGrid.Planning;

namespace OkrGrid.Grains;

/// <summary>
/// A planner scenario: proposed moves against one cycle, simulated on a snapshot of the live graph with the engine's
/// rules, then applied all together or discarded. Key: the scenario id. Leads and admins plan; a scenario is changed
/// by its author or an admin, and applied only if its actor may make every move in it (the cycle checks each).
/// </summary>
[Alias("okr.grains.scenario-grain")]
public interface IScenarioGrain : IGrainWithStringKey
{
    [Alias("Create")] Task<ScenarioView> CreateAsync(ScenarioDraft draft, Actor? actor = null);
    [Alias("Get")] Task<ScenarioView> GetAsync();
    [Alias("Rename")] Task<ScenarioView> RenameAsync(string name, Actor? actor = null);

    /// <summary>Adds a move (kept even when invalid: the impact reports it with its reason).</summary>
    [Alias("AddMove")] Task<ScenarioView> AddMoveAsync(PlanMove move, Actor? actor = null);
    [Alias("RemoveMove")] Task<ScenarioView> RemoveMoveAsync(int index, Actor? actor = null);

    /// <summary>
    /// The impact of the moves. Simulates on the snapshot held since the last simulation (taking one the first time);
    /// <paramref name="resimulate"/> takes a fresh snapshot of the live graph first. Only while the scenario is open:
    /// an applied one keeps the simulation it was applied with (<see cref="ScenarioView.Applied"/>).
    /// </summary>
    [Alias("GetImpact")] Task<ScenarioImpact> GetImpactAsync(bool resimulate = false);

    /// <summary>The key results that move an objective most per unit of their own progress, before and after the moves.</summary>
    [Alias("GetSensitivity")] Task<Sensitivity> GetSensitivityAsync(string objectiveId);

    /// <summary>
    /// Applies every move together on the live graph (all or none), then closes the scenario, keeping the simulation
    /// of the moves on the graph just before.
    /// </summary>
    [Alias("Apply")] Task<ScenarioView> ApplyAsync(Actor? actor = null);
    [Alias("Discard")] Task<ScenarioView> DiscardAsync(Actor? actor = null);
}
