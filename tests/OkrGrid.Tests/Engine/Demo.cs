namespace OkrGrid.Tests.Engine;

/// <summary>Small builders for test organisations.</summary>
public static class Demo
{
    public static readonly DateTimeOffset CycleStart = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset CycleEnd = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    /// <summary>45 of the cycle's 92 days have passed.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 15, 0, 0, 0, TimeSpan.Zero);
    public const string CycleId = "2026-q4";

    public static Owner Company => Owner.Company(EngineCluster.Company);
    public static Owner Team(string id) => new(OwnerKind.Team, id);
    public static Owner Person(string id) => new(OwnerKind.Person, id);

    /// <summary>A company with a department, a team inside it, one person, and the 2026-Q4 cycle.</summary>
    public static async Task SeedOrganisationAsync(EngineCluster c)
    {
        var org = c.Organisation;
        await org.SetCompanyNameAsync("Acme");
        await org.AddTeamAsync("product", "Product", null);
        await org.AddTeamAsync("growth", "Growth", "product");
        await org.AddPersonAsync("alice", "Alice Example", "growth");
        await org.CreateCycleAsync(new CycleDefinition(CycleId, "2026-Q4", CycleStart, CycleEnd));
    }

    public static CheckIn CheckIn(double value, double? confidence = null, string? id = null, DateTimeOffset? at = null) =>
        new(id ?? Guid.NewGuid().ToString("N"), value, confidence, "", "tester", at ?? Now);
}
