namespace OkrGrid.Engine;

public static class StorageNames
{
    /// <summary>The grain-storage provider of OkrGrid's state (PostgreSQL through the AdoNet provider).</summary>
    public const string Okr = "okr";
}
