using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Access;
using OkrGrid.Planning;
using OkrGrid.Structure;
using Orleans.Serialization;
using Orleans.Storage;

namespace OkrGrid.Tests.Storage;

/// <summary>
/// What earlier versions stored in PostgreSQL must still read. Grain state (through the storage provider's
/// <see cref="OrleansGrainStorageSerializer"/>) and the structure log and snapshots (<see cref="OkrGrid.Engine.Structure.StructureStore"/>) are
/// Orleans' binary format, which writes a type's name wherever a field's value is of a subtype (a scenario's moves,
/// a structure change's ops). Fixtures/payloads-before-aliases.json holds those bytes as the code wrote them before
/// the stored types carried [Alias] (commit 224743c): they name the types by namespace and assembly. They must decode to
/// the same values as the samples here, whatever names the current code writes.
/// </summary>
[Trait("Category", "Fast")]
public sealed class StoredPayloadTests
{
    private const string FixtureName = "payloads-before-aliases.json";
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
    private static readonly OrleansGrainStorageSerializer Storage = new(Serializer);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly DateTimeOffset At = new(2026, 10, 1, 9, 30, 0, TimeSpan.Zero);

    public static TheoryData<string> Names() => [.. Samples().Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void APayloadStoredBeforeTheAliasesReadsAsTheSameValue(string name)
    {
        var sample = Samples().Single(s => s.Name == name);
        var fixture = ReadFixture();
        Assert.True(fixture.ContainsKey(name), $"no stored payload '{name}' in {FixtureName}");

        var read = sample.Read(fixture[name]);

        Assert.NotNull(read);
        Assert.Equal(Json(sample.Value), Json(read));
    }

    /// <summary>
    /// The premise of the test above: the old payloads name the polymorphic types by their .NET names, and the
    /// current code names them by their aliases — so reading them exercises Orleans' fallback from an unknown alias
    /// to the type name, not the same bytes twice.
    /// </summary>
    [Fact]
    public void OldPayloadsNameTypesByNamespaceAndNewOnesByAlias()
    {
        var fixture = ReadFixture();
        var scenario = Samples().Single(s => s.Name == "scenario");
        var old = Encoding.UTF8.GetString(fixture["scenario"]);
        var current = Encoding.UTF8.GetString(scenario.Write());

        Assert.Contains("OkrGrid.Planning.MoveKeyResult", old, StringComparison.Ordinal);
        Assert.DoesNotContain("OkrGrid.Planning.MoveKeyResult", current, StringComparison.Ordinal);
        Assert.Contains("okr.planning.move-key-result", current, StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes the fixture from the samples with the code as it is. Run once, before the aliases, and committed; never
    /// again unless a new version's payloads are to be kept as well (then under a new name).
    /// <c>dotnet test --project tests/OkrGrid.Tests -- --filter-method "*WriteFixture" --explicit only</c>
    /// </summary>
    [Fact(Explicit = true)]
    public void WriteFixture()
    {
        var payloads = Samples().ToDictionary(s => s.Name, s => Convert.ToBase64String(s.Write()));
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "OkrGrid.sln"))) dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("no OkrGrid.sln above the test binaries");
        File.WriteAllText(Path.Combine(dir, "tests", "OkrGrid.Tests", "Fixtures", FixtureName),
            JsonSerializer.Serialize(payloads, Indented) + "\n");
    }

    private static Dictionary<string, byte[]> ReadFixture() =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", FixtureName)))!
            .ToDictionary(p => p.Key, p => Convert.FromBase64String(p.Value));

    /// <summary>A deep comparison: records holding ImmutableArrays are not equal by value, their JSON is.</summary>
    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType());

    private sealed record Sample(string Name, object Value, Func<byte[]> Write, Func<byte[], object?> Read);

    /// <summary>Grain state, written and read as the storage provider does (the state's declared type).</summary>
    private static Sample State<T>(string name, T value) where T : class =>
        new(name, value, () => Storage.Serialize(value).ToArray(), bytes => Storage.Deserialize<T>(new BinaryData(bytes)));

    /// <summary>A structure-log row or snapshot, written and read as <see cref="OkrGrid.Engine.Structure.StructureStore"/> does.</summary>
    private static Sample Row<T>(string name, T value) where T : notnull =>
        new(name, value, () => Serializer.SerializeToArray(value), bytes => Serializer.Deserialize<T>(bytes));

    /// <summary>One of each stored state, with every polymorphic field filled with each of its kinds.</summary>
    private static IEnumerable<Sample> Samples()
    {
        var owner = new Owner(OwnerKind.Team, "growth");
        var audit = new AuditEntry("cycle:q4", 7, At, "sofia", "Sofia", "api", AuditActions.KeyResultMoved, "q4:kr-1", "q4", "{\"objective\":\"q4:o-1\"}", "{\"objective\":\"q4:o-2\"}");
        var score = new NodeScore("q4:o-1", NodeKind.Objective, 3, 0.4, 0.45, Status.AtRisk, 0.6, false, null, null, ["trace-1"]);
        var after = score with { Progress = 0.6, Status = Status.OnTrack };
        PlanMove[] moves =
        [
            new MoveKeyResult("q4:kr-1", "q4:o-2", 2),
            new RealignObjective("q4:o-3", [new ParentLink("q4:o-1", 1.5), new ParentLink("q4:o-2")]),
            new ChangeWeight("q4:o-1", "q4:kr-2", 0.5),
        ];
        var simulation = new SimulationResult("q4", At, [new NodeImpact("q4:o-1", "Grow revenue", score, after, true, false)],
            [new RejectedMove(2, moves[2], "weight", "must be positive.")], 2);

        yield return State("scenario", new ScenarioRecord
        {
            View = new ScenarioView("sc-1", "Reshuffle", "acme", "q4", "Sofia", At, ScenarioState.Applied, [.. moves], At.AddHours(1), simulation, 4, "sofia"),
        });
        yield return State("scenario-catalog", new ScenarioCatalogRecord
        {
            Scenarios = { ["sc-1"] = new ScenarioSummary("sc-1", "Reshuffle", "q4", "Sofia", At, ScenarioState.Open, 3) },
        });
        yield return State("kpi", new KpiRecord
        {
            Definition = new KpiDefinition("nps", "NPS", "pts", Direction.HigherIsBetter, new KpiThresholds(50, 30), 40, owner),
            LinkedKeyResults = ["q4:kr-1", "q4:kr-2"],
            CompanyId = "acme",
        });
        yield return State("organisation", new OrganisationRecord
        {
            CompanyName = "Acme",
            Teams = [new Team("growth", "Growth", null), new Team("growth-eu", "Growth EU", "growth")],
            People = [new Person("sofia", "Sofia", "growth")],
            Policy = new ScoringPolicy(0.1, 0.2, 0.7),
            CycleIds = ["q4"],
            Kpis = [new KpiSummary("nps", "NPS")],
            AuditSeq = 7,
            PendingAudit = [audit],
        });
        var objective = new ObjectiveDefinition("q4:o-1", "q4", "Grow revenue", "", Owner.Company("acme"), RollUpMode.KeyResultsAndObjectives);
        var keyResult = new KeyResultDefinition("q4:kr-1", "q4", "Logos", owner, KeyResultKind.KpiLinked, 0, 10, "logos", "nps");
        var definition = new CycleDefinition("q4", "Q4", At, At.AddDays(90));
        yield return State("cycle-legacy", new CycleRecord
        {
            CompanyId = "acme", Definition = definition, Closed = true, ClosedAt = At.AddDays(91),
            Objectives = { [objective.Id] = objective }, KeyResults = { [keyResult.Id] = keyResult },
            Edges = [new Edge(objective.Id, keyResult.Id, 1)], Frozen = { [objective.Id] = score with { Grade = 0.4 } },
            NextId = 12, AuditSeq = 7, PendingAudit = [audit],
        });
        yield return Row("structure-snapshot", new CycleStructureState("acme", definition, ScoringPolicy.Default, false, null,
            [objective], [keyResult], [new Edge(objective.Id, keyResult.Id, 1)], [score], 12, 40, At));
        yield return Row("structure-ops", ImmutableArray.Create<StructureOp>(
            new CycleDefined("acme", definition, ScoringPolicy.Default),
            new ObjectivePut(objective, null),
            new KeyResultPut(keyResult with { Title = "New logos" }, keyResult),
            new EdgeAdded(new Edge(objective.Id, keyResult.Id, 1)),
            new EdgeRemoved(new Edge("q4:o-2", keyResult.Id, 1))));
        yield return Row("audit-entry", audit);
    }
}
