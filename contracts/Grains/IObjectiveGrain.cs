using OkrGrid.Model;

namespace OkrGrid.Grains;

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
