using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OkrGrid.Engine.Journal;
using OkrGrid.Silo.Storage;
using OkrGrid.Tests.Storage;

namespace OkrGrid.Tests.Journal;

public sealed class JournalLatestDatabase : StorageDatabaseFixture
{
    protected override string Prefix => "journallatest";

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await DatabaseMigrator.MigrateAsync(DataSource, NullLogger.Instance, TestContext.Current.CancellationToken);
    }
}

/// <summary>
/// The latest facts of many nodes as of an instant, read the two ways the journal has: a probe per node, and one scan of
/// a cycle's range of ids. Both must give the same answer — by date, a later commit winning a tie, the confidence of the
/// latest entry that gave one — whatever the dates, ties, missing confidences, and ids of cycles whose names start
/// alike ("c1", "c10", "c1x").
/// </summary>
public sealed class JournalLatestTests(JournalLatestDatabase db) : IClassFixture<JournalLatestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 10, 1, 9, 0, 0, TimeSpan.Zero);

    private PostgresJournal Journal(CycleScan scan) => new(db.DataSource,
        Options.Create(new JournalOptions { CycleScan = scan, CycleScanMin = 1, LatestParallelism = 3 }), NullLogger<PostgresJournal>.Instance);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ACycleScanAnswersAsTheProbesDo(int seed)
    {
        var random = new Random(seed);
        var scanning = Journal(CycleScan.Always);
        var probing = Journal(CycleScan.Never);
        try
        {
            // Nodes of four cycles and two KPIs (no cycle); this seed's own ids, so the seeds do not meet.
            string[] cycles = [$"c1s{seed}", $"c10s{seed}", $"c1s{seed}x", $"c2s{seed}"];
            var nodes = cycles.SelectMany(c => Enumerable.Range(0, 40).Select(i => $"{c}:kr-{i}"))
                .Append($"c1s{seed}:ключ-1").Append($"kpi-{seed}-a").Append($"kpi-{seed}-b").ToArray();
            var appends = new List<Task<bool>>();
            for (int i = 0; i < 1_500; i++)
            {
                var node = nodes[random.Next(nodes.Length)];
                double? confidence = random.Next(3) == 0 ? null : Math.Round(random.NextDouble(), 2);
                // Dates in a few hours, many on the same minute (ties decided by commit order), some back-dated later.
                var at = T0.AddMinutes(random.Next(0, 12) * 15);
                appends.Add(scanning.AppendAsync(new JournalEntry(node, $"e{i}", random.Next(0, 100), confidence, "", "ann", at)));
                if (i % 100 == 99) await Task.WhenAll(appends); // several commits: later ones win the ties
            }
            await Task.WhenAll(appends);

            var cycle = cycles[0];
            var asked = nodes.Where(n => n.StartsWith(cycle + ":", StringComparison.Ordinal) && random.Next(4) > 0)
                .Concat(nodes.Where(n => !n.StartsWith(cycle + ":", StringComparison.Ordinal) && random.Next(3) == 0)).ToArray();
            foreach (var asOf in new DateTimeOffset?[] { null, T0.AddMinutes(-1), T0, T0.AddMinutes(44), T0.AddMinutes(45), T0.AddHours(2).AddTicks(-10), T0.AddHours(9) })
            {
                var expected = await probing.LatestAsync(asked, asOf, cycle);
                var actual = await scanning.LatestAsync(asked, asOf, cycle);
                Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));
                Assert.All(actual.Keys, id => Assert.Contains(id, asked));
            }
            Assert.Equal(7, scanning.CycleScans);
            Assert.Equal(0, probing.CycleScans);
        }
        finally
        {
            await scanning.StopAsync(CancellationToken.None);
            await probing.StopAsync(CancellationToken.None);
        }
    }
}
