namespace OkrGrid.Web.Components.Shared;

/// <summary>
/// Addresses of the dashboard pages. Node ids contain a colon ("2026-q4:growth-logos"); it stays readable in the
/// path (a path segment may hold a colon, and the links are absolute so it is never taken for a scheme), while
/// anything else unusual is escaped.
/// </summary>
public static class Links
{
    public const string Home = "/";
    public const string Wall = "/wall";
    public const string Alignment = "/alignment";
    public const string Teams = "/teams";
    public const string Kpis = "/kpis";
    public const string Planner = "/planner";

    public static string Objective(string id) => "/objectives/" + Segment(id);
    public static string KeyResult(string id) => "/key-results/" + Segment(id);
    public static string Team(string id) => "/teams/" + Segment(id);
    public static string Kpi(string id) => "/kpis#kpi-" + Segment(id);
    public static string Scenario(string id) => "/planner/" + Segment(id);
    public static string WallFor(string teamId) => "/wall?team=" + Uri.EscapeDataString(teamId);

    public static string Node(NodeKind kind, string id) => kind == NodeKind.KeyResult ? KeyResult(id) : Objective(id);

    public static string Segment(string id) => Uri.EscapeDataString(id).Replace("%3A", ":", StringComparison.Ordinal);
}
