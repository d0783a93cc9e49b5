using OkrGrid.Domain.Views;
using OkrGrid.Views;

namespace OkrGrid.Web.Views;

/// <summary>
/// Reads what a node's history is replayed from — its cycle's snapshot, the check-ins of the key results below it
/// and the measurements of the KPIs feeding them — and hands it to the pure <see cref="ProgressHistory"/>. A KPI id
/// (no cycle prefix) gives the KPI's measurements. The structure comes with its timeline, so each point of the history is
/// scored with the alignment valid then, including key results deleted since (their check-ins are read from the journal).
/// </summary>
public sealed class HistoryReader(IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock)
{
    /// <summary>How many grains are asked for their history at once (a company objective has the whole cycle below it).</summary>
    private const int Parallelism = 32;

    /// <exception cref="OkrRejectedException">Unknown or malformed id (not found, field "nodeId").</exception>
    public async Task<NodeHistory> GetAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(nodeId)) throw OkrRejectedException.NotFound("nodeId", nodeId ?? "");
        return NodeIds.CycleOf(nodeId) is { } cycleId
            ? await GetNodeAsync(cycleId, nodeId, cancellationToken)
            : await GetKpiAsync(nodeId, cancellationToken);
    }

    private async Task<NodeHistory> GetNodeAsync(string cycleId, string nodeId, CancellationToken cancellationToken)
    {
        CycleSnapshot snapshot;
        try
        {
            snapshot = await grains.GetGrain<ICycleGrain>(cycleId).GetSnapshotAsync().WaitAsync(cancellationToken);
        }
        catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound)
        {
            throw OkrRejectedException.NotFound("nodeId", nodeId); // no such cycle, so no such node
        }
        if (!snapshot.Objectives.Any(o => o.Id == nodeId) && !snapshot.KeyResults.Any(k => k.Id == nodeId))
            throw OkrRejectedException.NotFound("nodeId", nodeId);

        // The structure as it was at each instant since the cycle started: a re-alignment does not rewrite the past.
        var timeline = await grains.GetGrain<ICycleGrain>(cycleId).GetStructureTimelineAsync(snapshot.Cycle.Definition.Start).WaitAsync(cancellationToken);
        var keyResults = ProgressHistory.KeyResultsUnder(timeline, nodeId);
        var live = snapshot.KeyResults.Select(k => k.Id).ToHashSet();
        var checkIns = new Dictionary<string, ImmutableArray<CheckIn>>();
        var measurements = new Dictionary<string, ImmutableArray<Measurement>>();
        await Parallel.ForEachAsync(keyResults.Where(k => k.Kind != KeyResultKind.KpiLinked),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (kr, ct) =>
            {
                // A key result deleted since has no grain to answer; its facts are still in the journal.
                var history = live.Contains(kr.Id)
                    ? await TryReadAsync(() => grains.GetGrain<IKeyResultGrain>(kr.Id).GetHistoryAsync(), ct)
                    : await grains.GetGrain<ICycleGrain>(cycleId).GetPastCheckInsAsync(kr.Id).WaitAsync(ct);
                lock (checkIns) checkIns[kr.Id] = history;
            });
        foreach (var kpiId in keyResults.Select(k => k.KpiId).OfType<string>().Distinct())
            measurements[kpiId] = await TryReadAsync(() => grains.GetGrain<IKpiGrain>(kpiId).GetHistoryAsync(), cancellationToken);
        return ProgressHistory.ForNode(snapshot, nodeId, checkIns, measurements, timeline);
    }

    private async Task<NodeHistory> GetKpiAsync(string kpiId, CancellationToken cancellationToken)
    {
        var kpi = grains.GetGrain<IKpiGrain>(kpiId);
        KpiView view;
        try
        {
            view = await kpi.GetViewAsync().WaitAsync(cancellationToken);
        }
        catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound)
        {
            throw OkrRejectedException.NotFound("nodeId", kpiId);
        }
        var history = await kpi.GetHistoryAsync().WaitAsync(cancellationToken);
        // A KPI spans cycles; its chart is framed by the current one.
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync().WaitAsync(cancellationToken);
        var cycle = Cycles.Current(organisation.Cycles, clock.GetUtcNow());
        return ProgressHistory.ForKpi(view.Definition, history, cycle?.Definition);
    }

    /// <summary>
    /// The newest <paramref name="count"/> check-ins across these key results, newest first (a team wall's "latest
    /// updates" when it opens). Key results the engine no longer knows are read as having none.
    /// </summary>
    public async Task<IReadOnlyList<(string KeyResultId, CheckIn CheckIn)>> LatestCheckInsAsync(IEnumerable<string> keyResultIds, int count,
        CancellationToken cancellationToken = default)
    {
        var all = new List<(string, CheckIn)>();
        if (count <= 0) return all;
        await Parallel.ForEachAsync(keyResultIds.Distinct(), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (id, ct) =>
            {
                var history = await TryReadAsync(() => grains.GetGrain<IKeyResultGrain>(id).GetHistoryAsync(), ct);
                lock (all) all.AddRange(history.OrderByDescending(c => c.At).Take(count).Select(c => (id, c)));
            });
        return [.. all.OrderByDescending(x => x.Item2.At).ThenBy(x => x.Item1, StringComparer.Ordinal).Take(count)];
    }

    /// <summary>A node deleted while the history is read has no facts any more; it is read as having none.</summary>
    private static async Task<ImmutableArray<T>> TryReadAsync<T>(Func<Task<ImmutableArray<T>>> read, CancellationToken cancellationToken)
    {
        try { return await read().WaitAsync(cancellationToken); }
        catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound) { return []; }
    }
}
