namespace OkrGrid.Tests.Engine;

/// <summary>
/// A random cycle graph for property tests: objectives aligned to one or two earlier objectives (so the graph is
/// acyclic but has multiple parents), key results of every kind, some linked to KPIs.
/// </summary>
public sealed class RandomGraph
{
    public List<string> Objectives { get; } = [];
    public List<KeyResultDefinition> KeyResults { get; } = [];
    public List<string> Kpis { get; } = [];

    public static async Task<RandomGraph> BuildAsync(EngineCluster c, Random rng, int objectives, int keyResults, int kpis, string cycleId)
    {
        var g = new RandomGraph();
        var org = c.Organisation;
        var cycle = c.Cycle(cycleId);
        for (int k = 0; k < kpis; k++)
        {
            var dir = rng.Next(2) == 0 ? Direction.HigherIsBetter : Direction.LowerIsBetter;
            var thresholds = dir == Direction.HigherIsBetter ? new KpiThresholds(80, 50) : new KpiThresholds(20, 50);
            var id = $"{cycleId}-kpi{k}";
            await org.CreateKpiAsync(new KpiDefinition(id, $"KPI {k}", "pts", dir, thresholds, 50, Demo.Company));
            g.Kpis.Add(id);
        }
        for (int i = 0; i < objectives; i++)
        {
            var parents = ImmutableArray<ParentLink>.Empty;
            if (i >= 3)
            {
                var first = g.Objectives[rng.Next(i)];
                parents = [new ParentLink(first, RandomWeight(rng))];
                var second = g.Objectives[rng.Next(i)];
                if (rng.NextDouble() < 0.25 && second != first) parents = parents.Add(new ParentLink(second, RandomWeight(rng)));
            }
            var mode = (RollUpMode)rng.Next(3);
            var o = await cycle.CreateObjectiveAsync(new ObjectiveDraft($"Objective {i}", Demo.Company, "", mode, parents));
            g.Objectives.Add(o.Id);
        }
        for (int i = 0; i < keyResults; i++)
        {
            var kind = (KeyResultKind)rng.Next(6);
            if (kind == KeyResultKind.KpiLinked && kpis == 0) kind = KeyResultKind.Increase;
            var (start, target) = kind switch
            {
                KeyResultKind.Increase or KeyResultKind.KpiLinked => (0.0, 100.0),
                KeyResultKind.Decrease => (100.0, 0.0),
                KeyResultKind.Milestone => (0.0, 1.0),
                _ => (40.0, 50.0),
            };
            var kpi = kind == KeyResultKind.KpiLinked ? g.Kpis[rng.Next(kpis)] : null;
            var kr = await cycle.CreateKeyResultAsync(new KeyResultDraft($"KR {i}", Demo.Company, kind, start, target,
                g.Objectives[rng.Next(objectives)], RandomWeight(rng), "pts", kpi));
            g.KeyResults.Add(kr);
        }
        return g;
    }

    public static double RandomWeight(Random rng) => rng.Next(5) switch { 0 => 0, 1 => 0.5, 2 => 2, _ => 1 };
}
