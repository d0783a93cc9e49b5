using OkrGrid.Grains;

namespace OkrGrid.Workload;

/// <summary>Loads a synthetic organisation into a running engine through its bulk-import grain calls.</summary>
public static class EngineImport
{
    /// <summary>Nodes per import call: keeps each message and state write a sensible size.</summary>
    public const int ChunkSize = 20_000;

    public static async Task ImportAsync(IGrainFactory grains, SyntheticOrg org)
    {
        var company = grains.GetGrain<IOrganisationGrain>(org.CompanyId);
        await company.SetCompanyNameAsync("SynthCo");
        await company.ImportAsync(org.Teams, org.People);
        await company.CreateCycleAsync(org.Cycle);
        foreach (var kpi in org.Kpis) await company.CreateKpiAsync(kpi);

        // An edge goes with the chunk in which the later of its two ends is imported: both exist by then.
        var cycle = grains.GetGrain<ICycleGrain>(org.Cycle.Id);
        var position = new Dictionary<string, int>();
        var nodes = org.Objectives.Select(o => (o.Id, (object)o)).Concat(org.KeyResults.Select(k => (k.Id, (object)k))).ToList();
        for (int i = 0; i < nodes.Count; i++) position[nodes[i].Id] = i;
        var edgesByChunk = org.Edges.GroupBy(e => Math.Max(position[e.ParentId], position[e.ChildId]) / ChunkSize)
            .ToDictionary(g => g.Key, g => g.ToImmutableArray());
        for (int chunk = 0; chunk * ChunkSize < nodes.Count; chunk++)
        {
            var part = nodes.Skip(chunk * ChunkSize).Take(ChunkSize).Select(n => n.Item2).ToList();
            await cycle.ImportAsync([.. part.OfType<ObjectiveDefinition>()], [.. part.OfType<KeyResultDefinition>()],
                edgesByChunk.GetValueOrDefault(chunk, []));
        }
    }

    /// <summary>Activates every node (a snapshot does not: it scores inactive nodes itself).</summary>
    public static async Task ActivateAllAsync(IGrainFactory grains, SyntheticOrg org)
    {
        var nodes = org.Objectives.Select(o => (IScoredNode)grains.GetGrain<IObjectiveGrain>(o.Id))
            .Concat(org.KeyResults.Select(k => grains.GetGrain<IKeyResultGrain>(k.Id)));
        foreach (var chunk in nodes.Chunk(2048)) await Task.WhenAll(chunk.Select(n => n.GetScoreAsync()));
    }
}
