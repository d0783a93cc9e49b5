using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>Anything that rolls up into a parent objective.</summary>
[Alias("okr.grains.scored-node")]
public interface IScoredNode : IAddressable
{
    /// <summary>The node's current score. Interleaves: a parent may ask while this node is busy.</summary>
    [Alias("GetScore"), AlwaysInterleave] Task<NodeScore> GetScoreAsync();
}

/// <summary>An objective. Key: "{cycleId}:{local}".</summary>
[Alias("okr.grains.objective-grain")]
public interface IObjectiveGrain : IGrainWithStringKey, IScoredNode
{
    [Alias("GetView")] Task<ObjectiveView> GetViewAsync();

    /// <summary>A child's new score. One-way: a child never waits for its parent.</summary>
    [Alias("OnChildChanged"), OneWay] Task OnChildChangedAsync(NodeScore childScore);

    /// <summary>From the cycle after a structural change (null: the objective was deleted).</summary>
    [Alias("ApplySetup")] Task ApplySetupAsync(ObjectiveSetup? setup);

    /// <summary>
    /// After a silo of the cluster died: re-reads every child's score from the cycle (its facts), since the last
    /// changes of children that lived there may never have arrived. One-way: a silo tells its objectives and moves on.
    /// </summary>
    [Alias("RefreshChildren"), OneWay] Task RefreshChildrenAsync();
}

/// <summary>A key result. Key: "{cycleId}:{local}".</summary>
[Alias("okr.grains.key-result-grain")]
public interface IKeyResultGrain : IGrainWithStringKey, IScoredNode
{
    /// <summary>
    /// Applies a check-in once it is durable; a retry with the same client id is applied once. The actor (null: the
    /// engine itself) must be allowed to check in on this key result and becomes its author.
    /// </summary>
    [Alias("CheckIn")] Task<CheckInResult> CheckInAsync(CheckIn checkIn, OkrGrid.Access.Actor? actor = null);
    [Alias("GetView")] Task<KeyResultView> GetViewAsync();
    [Alias("GetHistory")] Task<ImmutableArray<CheckIn>> GetHistoryAsync();
    [Alias("ApplySetup")] Task ApplySetupAsync(KeyResultSetup? setup);

    /// <summary>The linked KPI's new state. One-way: a KPI never waits for its key results.</summary>
    [Alias("OnKpiChanged"), OneWay] Task OnKpiChangedAsync(KpiState state);
}

/// <summary>A KPI: a continuous health metric. Key: the KPI id.</summary>
[Alias("okr.grains.kpi-grain")]
public interface IKpiGrain : IGrainWithStringKey
{
    /// <summary>Defines (or redefines) the KPI as part of the company's catalogue.</summary>
    [Alias("Define")] Task DefineAsync(KpiDefinition definition, string companyId = "");
    [Alias("Delete")] Task DeleteAsync();
    /// <summary>As a check-in: durable when it returns, once per client id, by an actor allowed to (null: the engine).</summary>
    [Alias("Record")] Task<MeasurementResult> RecordAsync(Measurement measurement, OkrGrid.Access.Actor? actor = null);
    [Alias("GetView")] Task<KpiView> GetViewAsync();
    [Alias("GetHistory")] Task<ImmutableArray<Measurement>> GetHistoryAsync();
    [Alias("GetState"), AlwaysInterleave] Task<KpiState> GetStateAsync();

    /// <summary>Registers a key result to be told of new measurements; returns the current state.</summary>
    [Alias("Link")] Task<KpiState> LinkAsync(string keyResultId);
    [Alias("LinkMany")] Task LinkManyAsync(ImmutableArray<string> keyResultIds);
    [Alias("Unlink")] Task UnlinkAsync(string keyResultId);
}
