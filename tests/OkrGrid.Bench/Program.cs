using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Bench;

// OkrGrid's benchmark: every figure in one run on this machine, each verified exact against the pure reference.
//   dotnet run -c Release --project tests/OkrGrid.Bench -- --org 10k          (the reference run)
//   dotnet run -c Release --project tests/OkrGrid.Bench -- --quick            (what CI runs: small, a few seconds)
var options = BenchOptions.Parse(args);
if (options.ServeConnectionString is not null)
{
    await ServeMode.RunAsync(options);
    return 0;
}
if (options.ShowSize > 0)
{
    await ShowMode.RunAsync(options);
    return 0;
}

var total = Stopwatch.StartNew();
var now = DateTimeOffset.UtcNow;
var clock = new FixedClock(now);
var cycle = OrgGenerator.QuarterAround(now, "bench");
// A partial run (OKRGRID_BENCH_ONLY) says so in its name: its file is not the whole reference run.
var only = Environment.GetEnvironmentVariable("OKRGRID_BENCH_ONLY");
var mode = (options.Quick ? "quick" : only == "cluster" ? $"org-{options.ClusterOrgSize / 1000}k" : $"org-{options.OrgSize / 1000}k")
    + (only is null ? "" : $"-{only}")
    + (options.StructureImportSize > 0 && !options.Quick ? $"-structure-{options.StructureImportSize / 1000}k" : "");
void Say(string what) => Console.Error.WriteLine($"[{total.Elapsed:mm\\:ss}] {what}");

var org = OrgGenerator.Generate(options.OrgSize, options.Seed, cycle);
var uniform = new CheckInWorkload(org, skewed: false, options.Seed);
var skewed = new CheckInWorkload(org, skewed: true, options.Seed);
var databases = new List<string>();
try
{
    // ---- 1, 2, 5, 7, 11: the engine on the organisation -----------------------------------------------------
    // OKRGRID_BENCH_ONLY=engine stops after this section (and figure 11 at scale, if asked for); =user-path runs only
    // figures 8 and 9, =planner only figure 10, =structure only figure 11 at scale, =cluster only figure 12, =ingest only
    // figure 13, =webhooks only figure 14 (for working on them).
    var db = await BenchDatabase.CreateAsync("engine");
    databases.Add(db);
    var machine = MachineInfo.Read(await BenchDatabase.DescribeAsync(db));
    var ledger = new Ledger(BaselineFigures.BaseTime(org, now));
    var throughput = ImmutableArray.CreateBuilder<ThroughputResult>();
    ThroughputResult? skewedResult = null;
    PropagationResult? propagation = null;
    SnapshotResult? snapshot = null;
    List<string> differences = [];
    ImportMemoryResult? importMemory = null;
    StructureResult? structure = null;
    if (only is null or "engine")
    {
        Say($"Organisation of {org.NodeCount:N0} nodes; importing into the engine.");
        // The engine section's clock stands still until figure 11's time travel moves it on.
        var engineClock = new SteppedClock(now);
        await using var engine = await EngineHost.StartAsync(db, engineClock);
        var memoryBefore = LargeOrgFigures.MeasureMemory();
        var importStarted = Stopwatch.GetTimestamp();
        await EngineImport.ImportAsync(engine.Client, org);
        var importSeconds = Stopwatch.GetElapsedTime(importStarted).TotalSeconds;
        var memoryImported = LargeOrgFigures.MeasureMemory();
        await EngineImport.ActivateAllAsync(engine.Client, org);
        var memoryActive = LargeOrgFigures.MeasureMemory();
        importMemory = ImportMemoryResult.Of(org.NodeCount, importSeconds, memoryBefore, memoryImported, memoryActive);
        Say($"Imported in {importSeconds:F1} s: the structure {importMemory.Imported.ManagedBytesPerNode:N0} B/node managed; every node active " +
            $"{importMemory.Active.ManagedBytesPerNode:N0} B/node managed, {importMemory.Active.WorkingSetBytesPerNode:N0} B/node working set.");
        var figures = new EngineFigures(engine.Client, org, uniform, ledger, options);
        Say("Warm-up.");
        await figures.ClosedLoopAsync(options.Concurrency[0], options.Warmup);
        foreach (var c in options.Concurrency)
        {
            var t = await figures.ClosedLoopAsync(c, options.Duration);
            Say($"Closed loop, {c} in flight: {t.PerSecond:N0} check-ins/s.");
            throughput.Add(t);
        }
        var skewedFigures = new EngineFigures(engine.Client, org, skewed, ledger, options);
        skewedResult = await skewedFigures.ClosedLoopAsync(options.Concurrency.Length > 1 ? options.Concurrency[1] : options.Concurrency[0], options.Duration);
        Say($"Closed loop, skewed: {skewedResult.PerSecond:N0} check-ins/s.");

        var rate = Math.Max(100, throughput.Max(t => t.PerSecond) / 2);
        propagation = await figures.OpenLoopAsync(rate, options.Duration);
        Say($"Open loop at {rate:N0}/s: to the company objective {propagation.ToCompanyObjective}.");

        var settled = await Verification.WaitQuietAsync(engine.Client, cycle.Id);
        differences = Verification.Differences(settled, ledger, now);
        Say(differences.Count == 0
            ? $"Verified: all {settled.Scores.Count:N0} nodes equal the reference ({ledger.Acknowledged:N0} check-ins)."
            : $"FAILED: {differences.Count} nodes differ from the reference.");
        snapshot = await LargeOrgFigures.SnapshotAsync(engine.Client, cycle.Id, org.NodeCount);

        // ---- 11: the structure log on the same cycle, after the check-in figures ------------------------------
        Say("Structure log: one change at a time, a planning burst, check-ins beside it, time travel.");
        var journal = engine.Services.GetRequiredService<OkrGrid.Engine.Journal.IJournal>();
        structure = await StructureFigures.RunAsync(engine.Client, journal, db, engineClock, org, figures, ledger, now, options, Say);
        foreach (var failure in structure.Failures) Say($"FAILED: structure: {failure}");
    }

    StructureImportResult? structureImport = null;
    if (options.StructureImportSize > 0 && only is null or "engine" or "structure")
    {
        var structureDb = await BenchDatabase.CreateAsync("structure");
        databases.Add(structureDb);
        structureImport = await StructureImportFigures.RunAsync(structureDb, options.StructureImportSize, cycle, now, options, Say);
        foreach (var failure in structureImport.Failures) Say($"FAILED: structure at scale: {failure}");
    }
    // ---- 8, 9: the user path: the real web host as a process, over HTTP and SignalR ------------------------
    UserPathResult? userPath = null;
    if (only is null or "user-path")
    {
        var webDb = await BenchDatabase.CreateAsync("web");
        databases.Add(webDb);
        Say("User path: starting the web host.");
        userPath = await UserPathFigures.RunAsync(webDb, org, options, now, Say);
    }

    // ---- 13: data sources' ingest URL on the real web host ---------------------------------------------------
    IngestResult? ingest = null;
    if (only is null or "ingest")
    {
        var ingestDb = await BenchDatabase.CreateAsync("ingest");
        databases.Add(ingestDb);
        ingest = await IngestFigures.RunAsync(ingestDb, options, Say);
    }

    // ---- 14: webhook delivery lag under figure 1's load, on the real web host --------------------------------
    WebhookResult? webhooks = null;
    if (only is null or "webhooks")
    {
        var hooksDb = await BenchDatabase.CreateAsync("hooks");
        databases.Add(hooksDb);
        webhooks = await WebhookFigures.RunAsync(hooksDb, org, options, now, Say);
    }

    PeerResult? peer = null;
    LimitResult? limit = null;
    MemoryResult? memory = null;
    SnapshotResult? largeSnapshot = null;
    ColdStartResult? cold = null;
    var large = org;
    double largeGenerateSeconds = 0;
    string? largeDb = null;
    if (only is null)
    {
        // ---- 3, 4: the SQL peer and the in-memory limit ---------------------------------------------------
        var peerDb = await BenchDatabase.CreateAsync("peer");
        databases.Add(peerDb);
        Say("SQL peer.");
        peer = await BaselineFigures.PeerAsync(peerDb, org, uniform, options, now);
        Say($"SQL peer: {peer.PerSecond:N0} check-ins/s, {peer.Differences} differences.");
        limit = BaselineFigures.Limit(org, uniform, options, now);
        Say($"In-memory limit: {limit.PerSecond:N0} check-ins/s, {limit.Differences} differences.");

        // ---- 5, 6, 7: the large organisation --------------------------------------------------------------
        (large, largeGenerateSeconds) = Generate(options.LargeOrgSize);
        largeDb = await BenchDatabase.CreateAsync("large");
        databases.Add(largeDb);
        Say($"Large organisation of {large.NodeCount:N0} nodes: memory and snapshot.");
        (memory, largeSnapshot) = await LargeOrgFigures.MemoryAndSnapshotAsync(largeDb, large, clock);
        Say("Cold start and recovery.");
        cold = await LargeOrgFigures.ColdStartAndRecoveryAsync(largeDb, large, options);
    }

    // ---- 10: the planner: simulation on the large and the planner's organisation, impact and apply on the engine -----
    PlannerResult? planner = null;
    if (only is null or "planner")
    {
        if (largeDb is null)
        {
            (large, largeGenerateSeconds) = Generate(options.LargeOrgSize);
            largeDb = await BenchDatabase.CreateAsync("planner");
            databases.Add(largeDb);
        }
        // The large figures' database holds the organisation (and the check-ins of the recovery figure): this engine
        // loads it as a restarted server would.
        Say($"Planner on the engine, {large.NodeCount:N0} nodes.");
        var plannerEngine = await PlannerEngineFigures.RunAsync(largeDb, large, clock, options, Say);
        foreach (var failure in plannerEngine.Failures) Say($"FAILED: planner: {failure}");
        var simulations = ImmutableArray.CreateBuilder<SimulationFigure>();
        Say($"Planner simulation, {large.NodeCount:N0} nodes.");
        simulations.Add(PlannerFigures.Simulation(large, largeGenerateSeconds, now, options));
        Say($"Planner simulation: 1 move {simulations[^1].OneMove}. Generating {options.PlannerOrgSize:N0} nodes.");
        var (plannerOrg, plannerGenerateSeconds) = Generate(options.PlannerOrgSize);
        simulations.Add(PlannerFigures.Simulation(plannerOrg, plannerGenerateSeconds, now, options));
        Say($"Planner simulation, {plannerOrg.NodeCount:N0} nodes: 1 move {simulations[^1].OneMove}.");
        planner = new PlannerResult(simulations.ToImmutable(), plannerEngine);
    }

    // ---- 12: a cluster of silo processes on this machine: 1 and 3 silos, the same workload, propagation across silos -----
    ClusterResult? cluster = null;
    if (only is null or "cluster")
    {
        var clusterOrg = OrgGenerator.Generate(options.ClusterOrgSize, options.Seed, cycle);
        Say($"Cluster: silo processes on PostgreSQL membership, {clusterOrg.NodeCount:N0} nodes, 1 and then 3 silos.");
        cluster = await ClusterFigures.RunAsync(clusterOrg, options, now, Say);
    }

    var results = new BenchResults(now, mode, machine, org.NodeCount, large.NodeCount, throughput.ToImmutable(), skewedResult,
        differences.Count, [.. differences.Take(10)], propagation, peer, limit, memory, snapshot, largeSnapshot, cold,
        userPath, planner, importMemory, structure, structureImport, cluster, total.Elapsed.TotalSeconds, ingest, webhooks);
    Console.WriteLine(Report.Markdown(results));
    var written = await Report.WriteAsync(results, options.OutputDirectory);
    Say($"Results written to {written}.md and .json");
    return results.Exact ? 0 : 1;
}
finally
{
    foreach (var d in databases)
    {
        try { await BenchDatabase.DropAsync(d); } catch (Exception e) { Console.Error.WriteLine($"Could not drop {d}: {e.Message}"); }
    }
}

(SyntheticOrg Org, double Seconds) Generate(int size)
{
    var started = Stopwatch.GetTimestamp();
    var generated = OrgGenerator.Generate(size, options.Seed, cycle);
    return (generated, Stopwatch.GetElapsedTime(started).TotalSeconds);
}
