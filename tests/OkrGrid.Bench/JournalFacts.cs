using Npgsql;

namespace OkrGrid.Bench;

/// <summary>
/// Every journal entry (check-ins of key results, measurements of KPIs) as the database holds it, in commit order per
/// node: what is durable, whatever the bench was told. The pure reference over a structure is scored from these facts.
/// </summary>
public sealed class JournalFacts
{
    private readonly Dictionary<string, List<CheckIn>> _byNode = [];
    private readonly Dictionary<(string Node, string Entry), double> _values = [];

    public long Entries { get; private set; }

    public static async Task<JournalFacts> ReadAsync(string connectionString)
    {
        var journal = new JournalFacts();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select node_id, entry_id, value, confidence, at from okr_journal order by seq", conn);
        cmd.CommandTimeout = 600;
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var (node, entry) = (reader.GetString(0), reader.GetString(1));
            var checkIn = new CheckIn(entry, reader.GetDouble(2), reader.IsDBNull(3) ? null : reader.GetDouble(3), "", "",
                new DateTimeOffset(reader.GetFieldValue<DateTime>(4), TimeSpan.Zero));
            (journal._byNode.TryGetValue(node, out var list) ? list : journal._byNode[node] = []).Add(checkIn);
            journal._values[(node, entry)] = checkIn.Value;
            journal.Entries++;
        }
        return journal;
    }

    /// <summary>The stored value of an entry; null when it is not in the journal.</summary>
    public double? ValueOf(string nodeId, string entryId) => _values.TryGetValue((nodeId, entryId), out var v) ? v : null;

    /// <summary>
    /// The pure reference over <paramref name="structure"/>'s nodes and edges at the engine's <paramref name="now"/>,
    /// with the facts dated at or before <paramref name="datedBy"/> (null: all of them).
    /// </summary>
    public Dictionary<string, NodeScore> Reference(CycleSnapshot structure, DateTimeOffset now, DateTimeOffset? datedBy = null)
    {
        var elapsed = Rules.ExpectedProgress(structure.Cycle.Definition.Start, structure.Cycle.Definition.End, now);
        return GraphScorer.Score(structure.Objectives, structure.KeyResults, structure.Edges, kr => kr.Kind == KeyResultKind.KpiLinked
            ? KeyResultInput.FromKpi(kr, LatestValue(kr.KpiId!, datedBy), null)
            : KeyResultInput.FromCheckIns(kr, Facts(kr.Id, datedBy)), elapsed, structure.Policy);
    }

    private IEnumerable<CheckIn> Facts(string nodeId, DateTimeOffset? datedBy)
    {
        var all = _byNode.GetValueOrDefault(nodeId) ?? [];
        return datedBy is { } by ? all.Where(c => c.At <= by) : all;
    }

    /// <summary>A KPI's latest measurement by time, a later commit winning a tie (as the KPI grain keeps it).</summary>
    private double? LatestValue(string kpiId, DateTimeOffset? datedBy)
    {
        CheckIn? latest = null;
        foreach (var m in Facts(kpiId, datedBy))
            if (latest is null || m.At >= latest.At) latest = m;
        return latest?.Value;
    }
}
