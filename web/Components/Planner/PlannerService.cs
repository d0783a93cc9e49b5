using OkrGrid.Planning;

namespace OkrGrid.Web.Components.Planner;

/// <summary>
/// The planner's way to the engine, as the signed-in person: the company's scenarios, starting one, and a
/// <see cref="ScenarioWorkspace"/> per scenario page. The pages inject this, never the grain factory. Scoped (one per
/// circuit): the person it acts as is the circuit's.
/// </summary>
public sealed class PlannerService(IGrainFactory grains, CurrentUser me, LiveBoard live)
{
    public Task<ImmutableArray<ScenarioSummary>> ListAsync() => grains.GetGrain<IScenarioCatalogGrain>(Company.Id).ListAsync();

    /// <summary>Whether the signed-in person may start scenarios (leads and admins).</summary>
    public async Task<bool> MayPlanAsync() => await me.ActorAsync() is { } actor && OkrGrid.Access.Permissions.MayPlan(actor);

    /// <summary>Starts a scenario and returns its id.</summary>
    /// <exception cref="OkrRejectedException">The engine refused it; its field names the input.</exception>
    public async Task<string> CreateAsync(string name, string cycleId)
    {
        var id = ScenarioIds.New(name);
        await grains.GetGrain<IScenarioGrain>(id).CreateAsync(new ScenarioDraft(name.Trim(), Company.Id, cycleId), await me.RequireActorAsync());
        return id;
    }

    /// <summary>
    /// The state and commands of one scenario's page: <paramref name="watch"/> hears what the page should follow live
    /// (the cycle, the ids), <paramref name="changed"/> that a command changed what it shows.
    /// </summary>
    public ScenarioWorkspace Open(string scenarioId, Action<string?, IEnumerable<string>> watch, Action changed) =>
        new(grains.GetGrain<IScenarioGrain>(scenarioId), scenarioId, me, live, watch, changed);
}
