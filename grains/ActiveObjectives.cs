using System.Collections.Concurrent;

namespace OkrGrid.Engine;

/// <summary>
/// The objectives active in this silo, by id: what <see cref="SiloLossRepair"/> tells to re-read their children when
/// another silo dies. (LocalScores holds their scores too, but is the snapshot's table and lists nothing.)
/// </summary>
public sealed class ActiveObjectives
{
    private readonly ConcurrentDictionary<string, byte> _ids = new();

    public void Add(string objectiveId) => _ids.TryAdd(objectiveId, 0);

    public void Remove(string objectiveId) => _ids.TryRemove(objectiveId, out _);

    public ICollection<string> Ids => _ids.Keys;
}
