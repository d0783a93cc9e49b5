namespace OkrGrid.Planning;

/// <summary>How scenarios are named in addresses: the REST API and the planner page make ids the same way.</summary>
public static class ScenarioIds
{
    /// <summary>A readable, unique id: the name's slug and a short random suffix ("q4-growth-shuffle-3f9a1c").</summary>
    public static string New(string name)
    {
        var slug = new string((name ?? "").ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        slug = string.Join('-', slug.Split('-', StringSplitOptions.RemoveEmptyEntries));
        if (slug.Length > 40) slug = slug[..40].TrimEnd('-');
        return $"{(slug.Length == 0 ? "scenario" : slug)}-{Guid.NewGuid().ToString("N")[..6]}";
    }
}
