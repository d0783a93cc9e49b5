using OkrGrid.Model;

namespace OkrGrid.Grains;

/// <summary>Anything that rolls up into a parent objective.</summary>
[Alias("okr.grains.scored-node")]
public interface IScoredNode : IAddressable
{
    /// <summary>The node's current score. Interleaves: a parent may ask while this node is busy.</summary>
    [Alias("GetScore"), AlwaysInterleave] Task<NodeScore> GetScoreAsync();
}
