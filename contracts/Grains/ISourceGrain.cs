using OkrGrid.Access;
using OkrGrid.Sources;

namespace OkrGrid.Grains;

/// <summary>
/// A data source of a key result or KPI. Key: the source id ("src_…"). Its settings and status are a row of
/// <c>okr_sources</c>; a pull source polls on a grain timer, re-armed whenever it activates (every silo's keep-alive
/// sweep activates the pull sources). Every value it delivers is a check-in (or measurement) by the source itself.
/// A source calls its key result or KPI; they never call it.
/// </summary>
[Alias("okr.grains.source-grain")]
public interface ISourceGrain : IGrainWithStringKey
{
    /// <summary>Creates the source (the actor must be allowed to manage it); a push source's token is in the answer, once.</summary>
    [Alias("Create")] Task<SourceCreated> CreateAsync(SourceDraft draft, Actor? actor);

    /// <summary>The source as this actor may see it (null: the engine, which sees what a manager sees).</summary>
    [Alias("Get"), AlwaysInterleave] Task<SourceView> GetAsync(Actor? actor);

    [Alias("Edit")] Task<SourceView> EditAsync(SourceEdit edit, Actor? actor);

    /// <summary>A new ingest token for a push source; the old one stops working at once.</summary>
    [Alias("RotateToken")] Task<SourceCreated> RotateTokenAsync(Actor? actor);

    /// <summary>Removes a push source's token: pushes are refused until a new one is made.</summary>
    [Alias("RevokeToken")] Task<SourceView> RevokeTokenAsync(Actor? actor);

    [Alias("Delete")] Task DeleteAsync(Actor? actor);

    /// <summary>Fetches once and says what it read; writes nothing (no check-in, no status).</summary>
    [Alias("Test")] Task<SourceFetch> TestAsync(Actor? actor);

    /// <summary>Pulls now, as the schedule would: a check-in when the value changed, the status either way.</summary>
    [Alias("Sync")] Task<SourceView> SyncAsync(Actor? actor);

    /// <summary>A value pushed to the ingest URL: checked against the token, rate limited, then a check-in.</summary>
    [Alias("Push")] Task<PushResult> PushAsync(SourcePush push);

    /// <summary>Makes sure a pull source is active and its timer armed (the keep-alive sweep; idempotent).</summary>
    [Alias("KeepAlive")] Task KeepAliveAsync();
}
