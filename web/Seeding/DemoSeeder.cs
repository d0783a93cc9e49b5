using System.Diagnostics;

namespace OkrGrid.Web.Seeding;

/// <summary>
/// Seeds the demo company on first start, once the silo is active: teams, people, the current quarter as a cycle,
/// aligned objectives with key results, KPIs, and weeks of check-ins and measurements — all through the grain
/// interfaces, so the engine validates and scores the demo like any other data.
/// Idempotent: a company that has a name was seeded (the name is set last), so nothing happens; an interrupted
/// seeding is finished on the next start, each step skipping what exists, and history carries fixed client ids.
/// </summary>
public sealed class DemoSeeder(IGrainFactory grains, [FromKeyedServices(EngineClock.Key)] TimeProvider clock, DatabaseMode mode, ILogger<DemoSeeder> logger) : IStartupTask
{
    async Task IStartupTask.Execute(CancellationToken cancellationToken)
    {
        try
        {
            await SeedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The demo is a convenience: the host still serves, and the next start tries again.
            logger.LogError(ex, "Seeding the demo company '{CompanyId}' failed; it is retried at the next start.", Company.Id);
        }
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        // A database is the demo from its first start or never (see DatabaseMode): real data never gets the demo.
        if (!await mode.IsDemoAsync(wantDemo: true, cancellationToken)) return;
        var organisation = grains.GetGrain<IOrganisationGrain>(Company.Id);
        var existing = await organisation.GetAsync();
        if (!string.IsNullOrEmpty(existing.CompanyName))
        {
            logger.LogInformation("Company '{CompanyId}' ({Name}) exists; no demo data seeded.", Company.Id, existing.CompanyName);
            return;
        }

        var watch = Stopwatch.StartNew();
        var now = clock.GetUtcNow();
        var cycle = DemoHistory.QuarterContaining(now);

        foreach (var team in DemoCompany.Teams.Where(t => existing.Teams.All(e => e.Id != t.Id)))
            await organisation.AddTeamAsync(team.Id, team.Name, team.ParentTeamId);
        foreach (var person in DemoCompany.People.Where(p => existing.People.All(e => e.Id != p.Id)))
            await organisation.AddPersonAsync(person.Id, person.Name, person.TeamId);
        if (existing.Cycles.All(c => c.Id != cycle.Id))
            await organisation.CreateCycleAsync(cycle);
        // KPIs before objectives: a KPI-linked key result needs its KPI.
        foreach (var kpi in DemoCompany.Kpis.Where(k => existing.Kpis.All(e => e.Id != k.Definition.Id)))
            await organisation.CreateKpiAsync(kpi.Definition);
        cancellationToken.ThrowIfCancellationRequested();

        var (objectives, keyResults) = await CreateObjectivesAsync(grains.GetGrain<ICycleGrain>(cycle.Id), cycle);
        cancellationToken.ThrowIfCancellationRequested();

        var measurements = await Task.WhenAll(DemoCompany.Kpis.Select(k => RecordMeasurementsAsync(k, cycle, now)));
        var checkIns = await Task.WhenAll(DemoCompany.Objectives.SelectMany(o => o.KeyResults)
            .Select(kr => CheckInAsync(kr, cycle, now)));

        await organisation.SetCompanyNameAsync(DemoCompany.Name);
        logger.LogInformation(
            "Seeded demo company '{CompanyId}' ({Name}) in {Elapsed:0.0} s: {Teams} teams, {People} people, cycle {Cycle}, "
            + "{Objectives} objectives, {KeyResults} key results, {Kpis} KPIs, {CheckIns} check-ins, {Measurements} measurements.",
            Company.Id, DemoCompany.Name, watch.Elapsed.TotalSeconds, DemoCompany.Teams.Length, DemoCompany.People.Length, cycle.Name,
            objectives, keyResults, DemoCompany.Kpis.Length, checkIns.Sum(), measurements.Sum());
    }

    /// <summary>
    /// Imports the objectives and their key results in one change, effective from the cycle's start: the demo's
    /// check-ins go back to it, and its history and time travel should find the structure they belong to. Skips what
    /// the cycle already has.
    /// </summary>
    private static async Task<(int Objectives, int KeyResults)> CreateObjectivesAsync(ICycleGrain cycle, CycleDefinition definition)
    {
        var cycleId = definition.Id;
        var snapshot = await cycle.GetSnapshotAsync();
        var known = snapshot.Objectives.Select(o => o.Id).Concat(snapshot.KeyResults.Select(k => k.Id)).ToHashSet();
        var objectives = ImmutableArray.CreateBuilder<ObjectiveDefinition>();
        var keyResults = ImmutableArray.CreateBuilder<KeyResultDefinition>();
        var edges = ImmutableArray.CreateBuilder<Edge>();
        foreach (var objective in DemoCompany.Objectives)
        {
            var id = NodeIds.Compose(cycleId, objective.Id);
            if (!known.Contains(id))
            {
                objectives.Add(new ObjectiveDefinition(id, cycleId, objective.Title, objective.Description, objective.Owner, RollUpMode.KeyResultsAndObjectives));
                edges.AddRange(objective.Parents.Select(p => new Edge(NodeIds.Compose(cycleId, p.ObjectiveId), id, p.Weight)));
            }
            foreach (var kr in objective.KeyResults)
            {
                var krId = NodeIds.Compose(cycleId, kr.Id);
                if (known.Contains(krId)) continue;
                keyResults.Add(new KeyResultDefinition(krId, cycleId, kr.Title, new Owner(OwnerKind.Person, kr.OwnerPersonId), kr.Kind,
                    kr.Start, kr.Target, kr.Unit, kr.KpiId));
                edges.Add(new Edge(id, krId, kr.Weight));
            }
        }
        if (objectives.Count + keyResults.Count > 0)
            await cycle.ImportAsync(objectives.ToImmutable(), keyResults.ToImmutable(), edges.ToImmutable(), null, definition.Start);
        return (DemoCompany.Objectives.Length, DemoCompany.Objectives.Sum(o => o.KeyResults.Length));
    }

    /// <summary>Sends a key result's weekly check-ins in order; returns how many were new.</summary>
    private async Task<int> CheckInAsync(DemoKeyResult kr, CycleDefinition cycle, DateTimeOffset now)
    {
        var grain = grains.GetGrain<IKeyResultGrain>(NodeIds.Compose(cycle.Id, kr.Id));
        var applied = 0;
        foreach (var checkIn in DemoHistory.CheckIns(kr, cycle, now))
            if ((await grain.CheckInAsync(checkIn with { Via = "demo", AuthorId = "demo" })).Applied) applied++;
        return applied;
    }

    /// <summary>Records a KPI's weekly measurements in order; returns how many were new.</summary>
    private async Task<int> RecordMeasurementsAsync(DemoKpi kpi, CycleDefinition cycle, DateTimeOffset now)
    {
        var grain = grains.GetGrain<IKpiGrain>(kpi.Definition.Id);
        var applied = 0;
        foreach (var measurement in DemoHistory.Measurements(kpi, cycle, now))
            if ((await grain.RecordAsync(measurement with { Via = "demo", AuthorId = "demo" })).Applied) applied++;
        return applied;
    }
}
