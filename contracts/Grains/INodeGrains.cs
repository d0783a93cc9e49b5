using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>Anything that rolls up into a parent objective.</summary>
public interface IScoredNode : IAddressable
{
    /// <summary>The node's current score. Interleaves: a parent may ask while this node is busy.</summary>
    [AlwaysInterleave] Task<NodeScore> GetScoreAsync();
}

/// <summary>An objective. Key: "{cycleId}:{local}".</summary>
public interface IObjectiveGrain : IGrainWithStringKey, IScoredNode
{
    Task<ObjectiveView> GetViewAsync();

    /// <summary>A child's new score. One-way: a child never waits for its parent.</summary>
    [OneWay] Task OnChildChangedAsync(NodeScore childScore);

    /// <summary>From the cycle after a structural change (null: the objective was deleted).</summary>
    Task ApplySetupAsync(ObjectiveSetup? setup);

    /// <summary>
    /// After a silo of the cluster died: re-reads every child's score from the cycle (its facts), since the last
    /// changes of children that lived there may never have arrived. One-way: a silo tells its objectives and moves on.
    /// </summary>
    [OneWay] Task RefreshChildrenAsync();
}

/// <summary>A key result. Key: "{cycleId}:{local}".</summary>
public interface IKeyResultGrain : IGrainWithStringKey, IScoredNode
{
    /// <summary>
    /// Applies a check-in once it is durable; a retry with the same client id is applied once. The actor (null: the
    /// engine itself) must be allowed to check in on this key result and becomes its author.
    /// </summary>
    Task<CheckInResult> CheckInAsync(CheckIn checkIn, OkrGrid.Access.Actor? actor = null);
    Task<KeyResultView> GetViewAsync();
    Task<ImmutableArray<CheckIn>> GetHistoryAsync();
    Task ApplySetupAsync(KeyResultSetup? setup);

    /// <summary>The linked KPI's new state. One-way: a KPI never waits for its key results.</summary>
    [OneWay] Task OnKpiChangedAsync(KpiState state);
}

/// <summary>A KPI: a continuous health metric. Key: the KPI id.</summary>
public interface IKpiGrain : IGrainWithStringKey
{
    /// <summary>Defines (or redefines) the KPI as part of the company's catalogue.</summary>
    Task DefineAsync(KpiDefinition definition, string companyId = "");
    Task DeleteAsync();
    /// <summary>As a check-in: durable when it returns, once per client id, by an actor allowed to (null: the engine).</summary>
    Task<MeasurementResult> RecordAsync(Measurement measurement, OkrGrid.Access.Actor? actor = null);
    Task<KpiView> GetViewAsync();
    Task<ImmutableArray<Measurement>> GetHistoryAsync();
    [AlwaysInterleave] Task<KpiState> GetStateAsync();

    /// <summary>Registers a key result to be told of new measurements; returns the current state.</summary>
    Task<KpiState> LinkAsync(string keyResultId);
    Task LinkManyAsync(ImmutableArray<string> keyResultIds);
    Task UnlinkAsync(string keyResultId);
}
