namespace OkrGrid.Bench;

/// <summary>
/// <c>--show SIZE</c>: the real web host with a synthetic organisation of that size as its company, with a check-in on
/// most key results, for a person to look at the pages (and the planner) at scale. Runs until Enter or Ctrl+C, then
/// drops its database. Nothing is measured.
/// </summary>
public static class ShowMode
{
    public static async Task RunAsync(BenchOptions options)
    {
        var now = DateTimeOffset.UtcNow;
        var org = UserPathHost.AsHostCompany(OrgGenerator.Generate(options.ShowSize, options.Seed, OrgGenerator.QuarterAround(now, "show")));
        var db = await BenchDatabase.CreateAsync("show");
        try
        {
            await using var host = await UserPathHost.StartAsync(db);
            Console.Error.WriteLine($"Importing {org.NodeCount:N0} nodes into the web host at {host.Web.BaseAddress} …");
            await EngineImport.ImportAsync(host.Client, org);
            var rng = new Random(options.Seed);
            var manual = org.KeyResults.Where(k => k.Kind != KeyResultKind.KpiLinked && rng.NextDouble() < 0.9).ToList();
            foreach (var chunk in manual.Chunk(256))
                await Task.WhenAll(chunk.Select(kr => host.Client.GetGrain<IKeyResultGrain>(kr.Id)
                    .CheckInAsync(new CheckIn($"show-{kr.Id}", CheckInWorkload.ValueFor(kr, rng), 0.7, "", "show", now))));
            Console.WriteLine($"{host.Web.BaseAddress} serves a {org.NodeCount:N0}-node organisation ({manual.Count:N0} check-ins). Enter stops it.");
            await Task.Run(Console.ReadLine);
        }
        finally
        {
            await BenchDatabase.DropAsync(db);
        }
    }
}
