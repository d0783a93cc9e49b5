using OkrGrid.Silo.Storage;

namespace OkrGrid.Tests.Engine;

/// <summary>A fresh, empty PostgreSQL database per test class: the embedded server, or OKRGRID_POSTGRES's.</summary>
public static class TestDatabase
{
    public static Task<string> CreateAsync(string prefix) => ScratchDatabases.CreateAsync(prefix);

    public static Task DropAsync(string connectionString) => ScratchDatabases.DropAsync(connectionString);
}
