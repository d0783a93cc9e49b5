using OkrGrid.Access;

namespace OkrGrid.Web.Porting;

/// <summary>An export ready to download.</summary>
public sealed record ExportFile(string FileName, string ContentType, byte[] Content);

/// <summary>An uploaded file: its name says what it is (a .json document, a .zip of CSV files, or one CSV file such as objectives.csv).</summary>
public sealed record ImportFile(string Name, byte[] Content);

/// <summary>
/// A cycle's export and import — what the API and the Import / export page use. Export reads the company (teams,
/// people, KPIs and their measurements) and the cycle (objectives, key results, alignment, check-ins); import plans
/// against the same reads (<see cref="ImportPlanner"/>) and, unless it is a dry run or anything is refused, applies.
/// </summary>
/// <remarks>
/// Applying goes in this order, each step atomic on its own: the cycle (when new), the teams and people (one write of
/// the organisation), each new KPI, then every objective, key result, edge and the policy as ONE change of the cycle's
/// structure log (one row: all or none), then the check-ins and measurements, each once per client id. Everything is
/// validated before the first step, so a refusal changes nothing. A crash part-way leaves a prefix of these steps —
/// never half a structure — and every step is an upsert or once-per-id, so importing the same files again completes
/// it (its dry run shows what is left).
/// </remarks>
public sealed class CycleTransfer(IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock)
{
    /// <summary>How many nodes' histories are read at once.</summary>
    private const int Parallel = 64;

    public async Task<ExportFile> ExportAsync(string cycleId, string? format)
    {
        var kind = (format ?? "json").Trim().ToLowerInvariant();
        if (kind is not ("json" or "csv")) throw OkrRejectedException.Invalid("format", "must be json or csv.");
        var (tables, exportedAt) = await TablesAsync(cycleId);
        var stamp = exportedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        return kind == "json"
            ? new ExportFile($"okrgrid-{cycleId}-{stamp}.json", "application/json", PortCodec.WriteJson(exportedAt, tables))
            : new ExportFile($"okrgrid-{cycleId}-{stamp}.zip", "application/zip", PortCodec.WriteZip(tables));
    }

    private async Task<(Dictionary<PortTable, List<OutRow>> Tables, DateTimeOffset At)> TablesAsync(string cycleId)
    {
        Check.Slug("cycleId", cycleId);
        var org = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        if (org.Cycles.All(c => c.Id != cycleId)) throw OkrRejectedException.NotFound("cycleId", cycleId);
        var cycle = grains.GetGrain<ICycleGrain>(cycleId);
        var snapshot = await cycle.GetSnapshotAsync();
        var checkIns = await HistoriesAsync(snapshot.KeyResults.Select(k => k.Id), id => grains.GetGrain<IKeyResultGrain>(id).GetHistoryAsync());
        var (kpis, measurements) = await KpisAsync(org);
        var local = (string id) => id[(cycleId.Length + 1)..];
        var paths = ImportPlanner.Paths(snapshot.Objectives, snapshot.KeyResults, snapshot.Edges);
        static OutRow Row(params object?[] values) => new([.. values]);

        var tables = new Dictionary<PortTable, List<OutRow>>();
        var d = snapshot.Cycle.Definition;
        var p = snapshot.Policy;
        tables[PortTables.Cycle] = [Row(d.Id, d.Name, d.Start, d.End, snapshot.Cycle.Closed, p.OnTrackMargin, p.AtRiskMargin, p.StretchMet)];
        tables[PortTables.Teams] = [.. ParentsFirst(org.Teams).Select(t => Row(t.Id, t.Name, t.ParentTeamId))];
        tables[PortTables.People] = [.. org.People.Select(x => Row(x.Id, x.Name, x.TeamId))];
        tables[PortTables.Kpis] = [.. kpis.Select(k => Row(k.Id, k.Name, k.Unit, k.Direction, k.Thresholds.Green, k.Thresholds.Yellow, k.Baseline, k.Owner.Kind, k.Owner.Id))];
        tables[PortTables.Objectives] = [.. snapshot.Objectives.Select(o => Row(local(o.Id), paths[o.Id], o.Title, o.Description, o.Owner.Kind, o.Owner.Id, o.RollUp))];
        tables[PortTables.KeyResults] = [.. snapshot.KeyResults.Select(k =>
            Row(local(k.Id), paths[k.Id], k.Title, k.Owner.Kind, k.Owner.Id, k.Kind, k.Start, k.Target, k.Unit, k.KpiId))];
        tables[PortTables.Alignment] = [.. snapshot.Edges.Select(e => Row(local(e.ParentId), local(e.ChildId), e.Weight))];
        tables[PortTables.CheckIns] = [.. snapshot.KeyResults.SelectMany(k => checkIns[k.Id].Select(c =>
            Row(local(k.Id), c.ClientId, c.At, c.Value, c.Confidence, c.Note, c.Author, c.AuthorId, c.Via)))];
        tables[PortTables.Measurements] = [.. kpis.SelectMany(k => measurements[k.Id].Select(m =>
            Row(k.Id, m.ClientId, m.At, m.Value, m.Note, m.Author, m.AuthorId, m.Via)))];
        return (tables, snapshot.TakenAt);
    }

    private static IEnumerable<Team> ParentsFirst(ImmutableArray<Team> teams)
    {
        var placed = new HashSet<string>();
        var left = teams.ToList();
        while (left.Count > 0)
        {
            var ready = left.Where(t => t.ParentTeamId is null || placed.Contains(t.ParentTeamId) || teams.All(x => x.Id != t.ParentTeamId)).ToList();
            if (ready.Count == 0) ready = left; // cannot happen (the organisation refuses loops); never loop forever
            foreach (var t in ready) { placed.Add(t.Id); left.Remove(t); yield return t; }
        }
    }

    private async Task<(List<KpiDefinition> Definitions, Dictionary<string, ImmutableArray<Measurement>> Measurements)> KpisAsync(OrganisationView org)
    {
        var definitions = new List<KpiDefinition>();
        foreach (var chunk in org.Kpis.Chunk(Parallel))
            definitions.AddRange((await Task.WhenAll(chunk.Select(k => grains.GetGrain<IKpiGrain>(k.Id).GetViewAsync()))).Select(v => v.Definition));
        var measurements = await HistoriesAsync(definitions.Select(k => k.Id), id => grains.GetGrain<IKpiGrain>(id).GetHistoryAsync());
        return (definitions, measurements);
    }

    private static async Task<Dictionary<string, ImmutableArray<T>>> HistoriesAsync<T>(IEnumerable<string> ids, Func<string, Task<ImmutableArray<T>>> read)
    {
        var result = new Dictionary<string, ImmutableArray<T>>();
        foreach (var chunk in ids.Chunk(Parallel))
        {
            var histories = await Task.WhenAll(chunk.Select(read));
            for (int i = 0; i < chunk.Length; i++) result[chunk[i]] = histories[i];
        }
        return result;
    }

    // ---- Import ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Plans the import of <paramref name="files"/> into cycle <paramref name="cycleId"/> (created when it does not exist)
    /// and, unless <paramref name="dryRun"/> or anything is refused, applies it. The report says what it does or did;
    /// with refusals nothing was changed.
    /// </summary>
    public async Task<ImportReport> ImportAsync(string cycleId, IReadOnlyList<ImportFile> files, bool dryRun, Actor actor)
    {
        Check.Slug("cycleId", cycleId);
        if (!Permissions.MayAdminister(actor))
            throw OkrRejectedException.Forbidden("cycleId", $"{actor.Name} may not import into a cycle: that takes an admin.");
        var doc = new RawDocument();
        if (files.Count == 0) doc.Refusals.Add(new Refusal("body", null, "file", "there is nothing to import: send a JSON document, a zip of CSV files or CSV files."));
        foreach (var file in files) PortCodec.Read(file.Name, file.Content, doc);
        var plan = ImportPlanner.Plan(doc, await TargetAsync(cycleId), dryRun);
        if (dryRun || !plan.Report.Refusals.IsEmpty) return plan.Report;
        if (!plan.Report.NoChange) await ApplyAsync(cycleId, plan, actor);
        return plan.Report with { Applied = true };
    }

    private async Task<PortTarget> TargetAsync(string cycleId)
    {
        var org = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        var info = org.Cycles.FirstOrDefault(c => c.Id == cycleId);
        CycleSnapshot? snapshot = null;
        Dictionary<string, ImmutableArray<CheckIn>> checkIns = [];
        if (info is not null)
        {
            snapshot = await grains.GetGrain<ICycleGrain>(cycleId).GetSnapshotAsync();
            info = snapshot.Cycle;
            checkIns = await HistoriesAsync(snapshot.KeyResults.Select(k => k.Id), id => grains.GetGrain<IKeyResultGrain>(id).GetHistoryAsync());
        }
        var (kpis, measurements) = await KpisAsync(org);
        return new PortTarget(cycleId, Company.Id, org, info, snapshot, checkIns, kpis.ToDictionary(k => k.Id), measurements, clock.GetUtcNow());
    }

    private async Task ApplyAsync(string cycleId, ImportPlan plan, Actor actor)
    {
        var org = grains.GetGrain<IOrganisationGrain>(Company.Id);
        if (plan.NewCycle is { } cycle) await org.CreateCycleAsync(cycle, actor);
        if (plan.Teams.Length + plan.People.Length > 0) await org.ImportAsync(plan.Teams, plan.People, actor);
        foreach (var kpi in plan.Kpis) await org.CreateKpiAsync(kpi, actor);
        if (plan.Upsert is { } upsert) await grains.GetGrain<ICycleGrain>(cycleId).UpsertAsync(upsert, actor);
        // Recorded as the engine (null actor) so that each keeps its author from the file; the import itself is in the
        // audit trail under the admin who made it (the cycle's cycle.imported entry, with the counts).
        await EachInOrderAsync(plan.CheckIns, c => c.KeyResultId, c => grains.GetGrain<IKeyResultGrain>(c.KeyResultId).CheckInAsync(c.CheckIn, null));
        await EachInOrderAsync(plan.Measurements, m => m.KpiId, m => grains.GetGrain<IKpiGrain>(m.KpiId).RecordAsync(m.Measurement, null));
    }

    /// <summary>In file order per node (ties in time keep it), nodes side by side.</summary>
    private static async Task EachInOrderAsync<T>(ImmutableArray<T> items, Func<T, string> node, Func<T, Task> apply)
    {
        foreach (var chunk in items.GroupBy(node).Chunk(Parallel))
            await Task.WhenAll(chunk.Select(async group => { foreach (var item in group) await apply(item); }));
    }
}
