namespace OkrGrid.Web;

/// <summary>
/// The one company this host serves until multi-tenancy arrives: the demo seeder creates it, the API and the
/// home page read it. Its grain key, so it must stay stable once data exists.
/// </summary>
public static class Company
{
    public const string Id = "lumen";
}
