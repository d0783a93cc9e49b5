using OkrGrid.Web.Components.Shared;

namespace OkrGrid.Web.Components.Wall;

/// <summary>One check-in in a team wall's "latest updates": the key result, its new value, who, when.</summary>
public sealed record WallUpdate(string KeyResultId, string Title, string Value, string Author, DateTimeOffset At, string ClientId)
{
    /// <summary>Stable across reloads, so a check-in read from history and again when it lands live is one entry.</summary>
    public string Key => $"{KeyResultId}#{ClientId}#{At.UtcTicks}";

    public static WallUpdate Of(KeyResultDefinition kr, CheckIn checkIn) => new(kr.Id, kr.Title,
        kr.Kind == KeyResultKind.Milestone ? (checkIn.Value >= 1 ? "Done" : "Not yet") : Fmt.WithUnit(checkIn.Value, kr.Unit),
        checkIn.Author, checkIn.At, checkIn.ClientId);
}

/// <summary>
/// The latest updates a team wall shows, newest first: the check-ins read from history when it opens, and each one read
/// again as it lands while the wall is up. The same check-in read twice is one entry.
/// </summary>
public sealed class WallFeed
{
    /// <summary>How many the feed keeps; a column shows far fewer.</summary>
    public const int Capacity = 50;

    private readonly List<WallUpdate> _updates = [];

    public IReadOnlyList<WallUpdate> Updates => _updates;

    public void Clear() => _updates.Clear();

    public void Add(IEnumerable<WallUpdate> updates)
    {
        foreach (var u in updates)
            if (_updates.All(x => x.Key != u.Key)) _updates.Add(u);
        _updates.Sort((a, b) => b.At.CompareTo(a.At) is var byTime and not 0 ? byTime : string.CompareOrdinal(a.Key, b.Key));
        if (_updates.Count > Capacity) _updates.RemoveRange(Capacity, _updates.Count - Capacity);
    }

    /// <summary>The newest updates of these key results (the scorecard's), at most <paramref name="count"/>.</summary>
    public IReadOnlyList<WallUpdate> Of(IReadOnlySet<string> keyResults, int count) =>
        _updates.Where(u => keyResults.Contains(u.KeyResultId)).Take(count).ToList();
}
