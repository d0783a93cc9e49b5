using OkrGrid.Engine.Integrations;
using OkrGrid.Sources;

namespace OkrGrid.Web.Views;

/// <summary>
/// The data sources of a key result or KPI as the dashboards show them, and "pull now": the source panel's grain calls,
/// kept out of the component so that no page or component talks to grains directly.
/// </summary>
public sealed class SourceReader(IGrainFactory grains, SourceStore store)
{
    /// <summary>The node's sources as <paramref name="actor"/> may see them; a source deleted meanwhile is left out.</summary>
    public async Task<List<SourceView>> OfNodeAsync(string nodeId, OkrGrid.Access.Actor actor, CancellationToken cancellationToken = default)
    {
        var ids = await store.IdsOfNodeAsync(nodeId, cancellationToken);
        var views = new List<SourceView>(ids.Count);
        foreach (var id in ids)
        {
            try { views.Add(await grains.GetGrain<ISourceGrain>(id).GetAsync(actor)); }
            catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound) { } // deleted meanwhile
        }
        return views;
    }

    /// <summary>Pulls the source now.</summary>
    /// <exception cref="OkrRejectedException">Not allowed for <paramref name="actor"/>, or no such source.</exception>
    public Task SyncAsync(string sourceId, OkrGrid.Access.Actor actor) => grains.GetGrain<ISourceGrain>(sourceId).SyncAsync(actor);
}
