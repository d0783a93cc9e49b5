using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace OkrGrid.Bench;

// What a dashboard reads of the hub's messages (web/Hubs): the rest of each message is skipped when it is parsed.
// The bench does not reference the web assembly, and its clients share the cores with the host, so they parse
// only what they use.
public sealed record PushedScore(long Version, double Progress, string[]? Traces);

public sealed record PushedChange(string NodeId, long Version, PushedScore? Score);

public sealed record ScorecardEntry(string Id, string Role, PushedScore? Score);

public sealed record SubscribedScorecard(string Scope, string CycleId, ScorecardEntry[] Nodes);

/// <summary>
/// Real SignalR clients of <c>/hubs/scorecard</c> (JSON protocol, camelCase string enums, as a browser's), each
/// subscribed to the company scorecard of one cycle. Each keeps, per traced check-in, when a company objective's
/// change first brought that trace to it, and its latest view of every company objective.
/// </summary>
public sealed class HubClients : IAsyncDisposable
{
    private const string HubPath = "/hubs/scorecard";
    private const int ConnectingAtOnce = 16;
    private readonly Subscriber[] _subscribers;

    private HubClients(Subscriber[] subscribers) => _subscribers = subscribers;

    public int Count => _subscribers.Length;

    /// <summary>Trace ids the bench puts on its check-ins: "h" and the check-in's index in the open loop.</summary>
    public static string TraceId(int index) => string.Create(CultureInfo.InvariantCulture, $"h{index}");

    /// <summary>"changes" messages received over all clients.</summary>
    public long Messages => _subscribers.Sum(s => Interlocked.Read(ref s.Messages));

    /// <summary>Connections that closed during the run (a dashboard that would have gone blank).</summary>
    public int Disconnected => _subscribers.Count(s => s.Closed);

    /// <summary>When client <paramref name="client"/> first saw trace <paramref name="trace"/> on a company objective (Stopwatch ticks; 0 = not yet).</summary>
    public long ReceivedAt(int client, int trace) => Volatile.Read(ref _subscribers[client].Receipts[trace]);

    /// <summary>
    /// Connects <paramref name="count"/> clients and subscribes each to the company scorecard of
    /// <paramref name="cycleId"/>; fails unless the scorecard lists exactly <paramref name="companyObjectives"/>.
    /// </summary>
    public static async Task<HubClients> ConnectAsync(Uri baseAddress, string token, int count, string cycleId,
        IReadOnlyList<string> companyObjectives, int traceCapacity)
    {
        var roots = companyObjectives.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var subscribers = Enumerable.Range(0, count).Select(_ => new Subscriber(roots, traceCapacity)).ToArray();
        var clients = new HubClients(subscribers);
        using var gate = new SemaphoreSlim(ConnectingAtOnce);
        try
        {
            await Task.WhenAll(subscribers.Select(async s =>
            {
                await gate.WaitAsync();
                try { await s.ConnectAsync(new Uri(baseAddress, HubPath), token, cycleId); }
                finally { gate.Release(); }
            }));
        }
        catch
        {
            await clients.DisposeAsync();
            throw;
        }
        return clients;
    }

    /// <summary>Clients whose last pushed version of some company objective is not the engine's <paramref name="scores"/>.</summary>
    public int StaleViews(IReadOnlyDictionary<string, NodeScore> scores) => _subscribers.Count(s => !s.Sees(scores));

    public async ValueTask DisposeAsync() =>
        await Task.WhenAll(_subscribers.Select(s => s.DisposeAsync().AsTask()));

    private sealed class Subscriber(Dictionary<string, int> roots, int traceCapacity) : IAsyncDisposable
    {
        private readonly (long Version, double Progress)[] _view = new (long, double)[roots.Count];
        private HubConnection? _connection;

        public long[] Receipts { get; } = new long[traceCapacity];
        public long Messages;
        public bool Closed { get; private set; }

        public async Task ConnectAsync(Uri hub, string token, string cycleId)
        {
            _connection = new HubConnectionBuilder()
                .WithUrl(hub, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)))
                .Build();
            _connection.On<PushedChange[]>("changes", OnChanges);
            _connection.Closed += _ =>
            {
                Closed = true;
                return Task.CompletedTask;
            };
            await _connection.StartAsync();
            var card = await _connection.InvokeAsync<SubscribedScorecard>("SubscribeCycleScorecard", "company", cycleId);
            var objectives = card.Nodes.Where(n => n.Role == "objective").ToList();
            if (card.CycleId != cycleId || objectives.Count != roots.Count || objectives.Any(n => !roots.ContainsKey(n.Id)))
                throw new InvalidOperationException(
                    $"The company scorecard of {card.CycleId} lists [{string.Join(", ", objectives.Select(n => n.Id))}], not the company objectives.");
            lock (_view)
                foreach (var n in objectives)
                    if (n.Score is { } s) _view[roots[n.Id]] = (s.Version, s.Progress);
        }

        private void OnChanges(PushedChange[] changes)
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref Messages);
            foreach (var c in changes)
            {
                // Only a company objective's change counts: the scorecard's other rows carry the same traces earlier.
                if (c.Score is not { } score || !roots.TryGetValue(c.NodeId, out var root)) continue;
                lock (_view)
                    if (c.Version > _view[root].Version) _view[root] = (c.Version, score.Progress);
                foreach (var trace in score.Traces ?? [])
                    if (trace.StartsWith('h') && int.TryParse(trace.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                        && i < Receipts.Length)
                        Interlocked.CompareExchange(ref Receipts[i], now, 0);
            }
        }

        public bool Sees(IReadOnlyDictionary<string, NodeScore> scores)
        {
            lock (_view)
                return roots.All(r => scores.TryGetValue(r.Key, out var s) && _view[r.Value].Version == s.Version
                                      && _view[r.Value].Progress.Equals(s.Progress));
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is not null) await _connection.DisposeAsync();
        }
    }
}
