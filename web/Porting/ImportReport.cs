using OkrGrid.Structure;

namespace OkrGrid.Web.Porting;

/// <summary>
/// What an import does (a dry run) or did: what it creates, which fields it changes (old → new), which nodes it moves
/// (their parents before → after), the check-ins and measurements it adds — or, when anything in the files is wrong,
/// every refusal with its file, row and column, and then nothing happens at all.
/// </summary>
public sealed record ImportReport(
    string CycleId,
    bool DryRun,
    bool Applied,
    ImmutableArray<string> Sources,
    ImmutableArray<PortCreate> Creates,
    ImmutableArray<PortUpdate> Updates,
    ImmutableArray<PortMove> Moves,
    ImmutableArray<PortEntry> CheckIns,
    ImmutableArray<PortEntry> Measurements,
    ImmutableArray<Refusal> Refusals)
{
    /// <summary>True when applying would change nothing (re-importing an export into the cycle it came from).</summary>
    public bool NoChange => Creates.IsEmpty && Updates.IsEmpty && Moves.IsEmpty && CheckIns.IsEmpty && Measurements.IsEmpty;
}

/// <param name="Kind">cycle, team, person, kpi, objective or keyResult.</param>
public sealed record PortCreate(string Kind, string Id, string Title);

public sealed record PortUpdate(string Kind, string Id, string Title, string Field, string Old, string New);

/// <summary>A node whose parents change: each as "title (weight)".</summary>
public sealed record PortMove(string Kind, string Id, string Title, ImmutableArray<string> From, ImmutableArray<string> To);

/// <summary>A check-in (of a key result) or a measurement (of a KPI) the import adds.</summary>
public sealed record PortEntry(string Of, string Title, string ClientId, DateTimeOffset At, double Value);

/// <summary>What applying a valid import does, in order (see <see cref="CycleTransfer.ApplyAsync"/>).</summary>
public sealed class ImportPlan
{
    public required ImportReport Report { get; init; }
    public CycleDefinition? NewCycle { get; init; }
    public ImmutableArray<Team> Teams { get; init; } = [];
    public ImmutableArray<Person> People { get; init; } = [];
    public ImmutableArray<KpiDefinition> Kpis { get; init; } = [];
    public CycleUpsert? Upsert { get; init; }
    public ImmutableArray<(string KeyResultId, CheckIn CheckIn)> CheckIns { get; init; } = [];
    public ImmutableArray<(string KpiId, Measurement Measurement)> Measurements { get; init; } = [];
}

/// <summary>What an import is planned against: the target cycle (null: it is to be created) and the company as they are now.</summary>
public sealed record PortTarget(
    string CycleId,
    string CompanyId,
    OrganisationView Organisation,
    CycleInfo? Cycle,
    CycleSnapshot? Snapshot,
    IReadOnlyDictionary<string, ImmutableArray<CheckIn>> CheckIns,
    IReadOnlyDictionary<string, KpiDefinition> Kpis,
    IReadOnlyDictionary<string, ImmutableArray<Measurement>> Measurements,
    DateTimeOffset Now);
