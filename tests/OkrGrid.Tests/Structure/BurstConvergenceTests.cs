using System.Collections.Concurrent;
using OkrGrid.Tests.Engine;
using OkrGrid.Workload;

namespace OkrGrid.Tests.Structure;

/// <summary>
/// Structural changes and check-ins at once, 128 in flight on one cycle — the planning week: new key results under
/// random objectives, key results moved, weights changed, check-ins, and the scorecard as of now asked in between. Once
/// quiet, every node equals the pure reference over the final structure and the acknowledged check-ins (the nodes were
/// told of every change, in the right order).
/// </summary>
public sealed class BurstConvergenceTests : IAsyncLifetime
{
    private EngineCluster _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await EngineCluster.StartAsync("burst", Demo.Now);
        await Demo.SeedOrganisationAsync(_c);
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Theory]
    [InlineData(5)]
    [InlineData(17)]
    public async Task EveryNodeEqualsTheReferenceAfterABurstOfStructureAndCheckIns(int seed)
    {
        var rng = new Random(seed);
        var cycle = _c.Cycle(Demo.CycleId);
        var objectives = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            var parents = i < 2 ? ImmutableArray<ParentLink>.Empty : [new ParentLink(objectives[rng.Next(i)])];
            objectives.Add((await cycle.CreateObjectiveAsync(new ObjectiveDraft($"S{seed} O{i}", Demo.Company, Parents: parents))).Id);
        }
        var keyResults = new ConcurrentBag<string>();
        for (int i = 0; i < 24; i++)
            keyResults.Add((await cycle.CreateKeyResultAsync(new KeyResultDraft($"S{seed} K{i}", Demo.Company, KeyResultKind.Increase, 0, 100, objectives[rng.Next(objectives.Count)]))).Id);
        var checkIns = new ConcurrentDictionary<string, ConcurrentBag<CheckIn>>();
        var plan = Enumerable.Range(0, 1200).Select(i => (Roll: rng.NextDouble(), A: rng.Next(1000), B: rng.Next(1000), Value: Math.Round(rng.NextDouble() * 100, 1))).ToList();

        await Parallel.ForEachAsync(Enumerable.Range(0, plan.Count), new ParallelOptions { MaxDegreeOfParallelism = 128 }, async (i, _) =>
        {
            var (roll, a, b, value) = plan[i];
            var krs = keyResults.ToArray();
            var kr = krs[a % krs.Length];
            var objective = objectives[b % objectives.Count];
            if (roll < 0.2)
                keyResults.Add((await cycle.CreateKeyResultAsync(new KeyResultDraft($"S{seed} N{i}", Demo.Company, KeyResultKind.Increase, 0, 100, objective, 1 + a % 3))).Id);
            else if (roll < 0.4)
                await cycle.MoveKeyResultAsync(kr, objective, 1 + b % 3);
            else if (roll < 0.45)
            {
                // The scorecard as of now, while changes are staged and being written: time travel takes them back on
                // the live structure and puts them back in the same turn. It holds every change acknowledged before
                // the call, and only whole ones; the convergence below says the live structure came back intact.
                var acknowledged = keyResults.ToArray();
                var past = await cycle.GetSnapshotAtAsync(_c.Clock.UtcNow);
                var ids = past.KeyResults.Select(k => k.Id).Concat(past.Objectives.Select(o => o.Id)).ToHashSet();
                Assert.All(acknowledged, id => Assert.Contains(id, ids));
                Assert.All(past.Edges, e => Assert.True(ids.Contains(e.ParentId) && ids.Contains(e.ChildId), $"edge {e.ParentId} → {e.ChildId} to a node not there"));
                Assert.Equal(ids.Count, past.Scores.Count);
            }
            else
            {
                var checkIn = new CheckIn($"b{seed}-{i}", value, null, "", "burst", Demo.CycleStart.AddMinutes(i + 1));
                if ((await _c.KeyResult(kr).CheckInAsync(checkIn)).Applied) checkIns.GetOrAdd(kr, _ => []).Add(checkIn);
            }
        });

        Dictionary<string, NodeScore> reference = [];
        var snapshot = await _c.WaitForAsync(Demo.CycleId, s =>
        {
            var elapsed = Rules.ExpectedProgress(s.Cycle.Definition.Start, s.Cycle.Definition.End, _c.Clock.UtcNow);
            reference = GraphScorer.Score(s.Objectives, s.KeyResults, s.Edges,
                kr => KeyResultInput.FromCheckIns(kr, checkIns.TryGetValue(kr.Id, out var bag) ? bag : []), elapsed, s.Policy);
            return ReferenceCheck.Differences(s, reference).Count == 0;
        }, TimeSpan.FromSeconds(20));
        var diffs = ReferenceCheck.Differences(snapshot, reference);
        Assert.True(diffs.Count == 0, $"seed {seed}: {diffs.Count} node(s) differ from the reference:\n{string.Join("\n", diffs.Take(10))}");
    }
}
