using Microsoft.Extensions.Hosting;

namespace OkrGrid.Engine;

/// <summary>
/// What a surviving silo does when another is declared dead. Roll-up pushes are one-way and a node coalesces them per
/// tick, so the last changes of the nodes that lived on the dead silo — a key result's new score on its way up, an
/// objective's pending tick — may never have reached their parents here. Nothing would correct them until those
/// nodes change again. So every objective active in this silo re-reads its children's scores from the cycle (scored
/// from the journal where they are not live there) and republishes if that changes it. Nodes of the dead silo
/// themselves re-activate elsewhere from their facts at their next message, and tell their parents as they do.
/// </summary>
public sealed class SiloLossRepair(IClusterMembershipService membership, ILocalSiloDetails localSilo, ActiveObjectives objectives,
    IGrainFactory grains, ILogger<SiloLossRepair> logger) : BackgroundService
{
    /// <summary>Objectives told at once: the cycle answers each from memory and the journal; no need to queue thousands.</summary>
    private const int Parallel = 64;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        HashSet<SiloAddress>? dead = null;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var nowDead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
                // The first snapshot only tells what was dead before this silo started: nothing here depended on those.
                var newlyDead = dead is null ? [] : nowDead.Except(dead).Where(s => !s.Equals(localSilo.SiloAddress)).ToList();
                dead = nowDead;
                if (newlyDead.Count > 0) await RepairAsync(newlyDead, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task RepairAsync(List<SiloAddress> lost, CancellationToken stoppingToken)
    {
        var ids = objectives.Ids.ToList();
        logger.LogWarning("Silo {Lost} declared dead: {Count} objective(s) active here re-read their children.",
            string.Join(", ", lost), ids.Count);
        await System.Threading.Tasks.Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = Parallel, CancellationToken = stoppingToken },
            async (id, _) =>
            {
                try { await grains.GetGrain<IObjectiveGrain>(id).RefreshChildrenAsync(); }
                catch (Exception ex) { logger.LogDebug(ex, "Telling objective {ObjectiveId} to re-read its children failed.", id); }
            });
    }
}
