using System.Collections.Concurrent;

namespace OkrGrid.Engine.Integrations.Webhooks;

/// <summary>What an event says about its node: its title, owner and the scopes it falls in.</summary>
public sealed record NodeContext(string Title, Owner? Owner, string? OwnerName, string? TeamId, ImmutableArray<string> Scopes);

/// <summary>
/// Finds a node's title and scopes for an event: the node and the objectives it rolls up into ("node:…"), its owner's
/// team and the teams above it ("team:…"), and "company". Asked only for transitions (rare next to check-ins); the
/// organisation's teams are kept for a few seconds.
/// </summary>
public sealed class WebhookContext(IGrainFactory grains, IOptions<WebhookOptions> options)
{
    private static readonly TimeSpan OrganisationTtl = TimeSpan.FromSeconds(10);
    private (DateTimeOffset At, OrganisationView View)? _organisation;
    /// <summary>Contexts resolved before, with the structure version and organisation view they were made with.</summary>
    private readonly ConcurrentDictionary<string, (long Structure, OrganisationView Organisation, NodeContext? Context)> _contexts = new();
    private const int MaxCachedContexts = 200_000;

    public async Task<OrganisationView> OrganisationAsync()
    {
        if (_organisation is { } o && DateTimeOffset.UtcNow - o.At < OrganisationTtl) return o.View;
        var view = await grains.GetGrain<IOrganisationGrain>(options.Value.CompanyId).GetAsync();
        _organisation = (DateTimeOffset.UtcNow, view);
        return view;
    }

    /// <summary>The team and every team above it, as scopes.</summary>
    public static IEnumerable<string> TeamScopes(OrganisationView org, string? teamId)
    {
        var seen = new HashSet<string>();
        for (var t = teamId; t is not null && seen.Add(t);)
        {
            yield return $"team:{t}";
            t = org.Teams.FirstOrDefault(x => x.Id == t)?.ParentTeamId;
        }
    }

    public async Task<(string? TeamId, string? Name)> OwnerTeamAsync(Owner? owner)
    {
        if (owner is null || owner.Kind == OwnerKind.Company) return (null, null);
        var org = await OrganisationAsync();
        if (owner.Kind == OwnerKind.Team) return (owner.Id, org.Teams.FirstOrDefault(t => t.Id == owner.Id)?.Name ?? owner.Id);
        var person = org.People.FirstOrDefault(p => p.Id == owner.Id);
        return (person?.TeamId, person?.Name ?? owner.Id);
    }

    public Task<NodeContext?> ResolveAsync(string nodeId, NodeKind kind) => ResolveAsync(nodeId, kind, null);

    /// <summary>
    /// The contexts of one gathering's transitions: resolved side by side, and each objective above them asked of its
    /// cycle once — under load a gathering holds hundreds of transitions that share their ancestors, and resolving them
    /// one call after another put seconds between a check-in and its webhook. A context resolved earlier is used again
    /// while its cycle's structure version and the organisation view it was made with are the same: a title, an owner
    /// or an alignment changes only through the cycle's structure (which bumps the version), a team only through the
    /// organisation (re-read every <see cref="OrganisationTtl"/>).
    /// </summary>
    public async Task<Dictionary<string, NodeContext?>> ResolveManyAsync(IEnumerable<(string NodeId, NodeKind Kind)> nodes)
    {
        var distinct = nodes.DistinctBy(n => n.NodeId).ToList();
        var org = await OrganisationAsync();
        var cycles = distinct.Where(n => n.Kind != NodeKind.Kpi).Select(n => NodeIds.CycleOf(n.NodeId) ?? "").Distinct().ToList();
        var versions = (await Task.WhenAll(cycles.Select(async c => (Cycle: c, Version: await grains.GetGrain<ICycleGrain>(c).GetStructureVersionAsync()))))
            .ToDictionary(v => v.Cycle, v => v.Version);
        var objectives = new ConcurrentDictionary<string, Task<ObjectiveSetup?>>();
        var contexts = await Task.WhenAll(distinct.Select(async n =>
        {
            // The version read before resolving: a change meanwhile leaves the entry older than the cycle, so it is resolved again.
            long? version = n.Kind == NodeKind.Kpi ? null : versions[NodeIds.CycleOf(n.NodeId) ?? ""];
            if (version is { } v && _contexts.TryGetValue(n.NodeId, out var cached) && cached.Structure == v && ReferenceEquals(cached.Organisation, org))
                return cached.Context;
            var context = await ResolveAsync(n.NodeId, n.Kind, objectives);
            if (version is { } at)
            {
                if (_contexts.Count >= MaxCachedContexts) _contexts.Clear();
                _contexts[n.NodeId] = (at, org, context);
            }
            return context;
        }));
        return distinct.Zip(contexts).ToDictionary(x => x.First.NodeId, x => x.Second);
    }

    private async Task<NodeContext?> ResolveAsync(string nodeId, NodeKind kind,
        ConcurrentDictionary<string, Task<ObjectiveSetup?>>? objectives)
    {
        try
        {
            string title;
            Owner? owner;
            var nodes = new List<string> { nodeId };
            if (kind == NodeKind.Kpi)
            {
                var kpi = await grains.GetGrain<IKpiGrain>(nodeId).GetViewAsync();
                title = kpi.Definition.Name;
                owner = kpi.Definition.Owner;
            }
            else
            {
                var cycle = grains.GetGrain<ICycleGrain>(NodeIds.CycleOf(nodeId) ?? "");
                // An objective's id names its cycle, so one cache serves objectives of every cycle.
                Task<ObjectiveSetup?> Objective(string id) => objectives?.GetOrAdd(id, cycle.GetObjectiveSetupAsync) ?? cycle.GetObjectiveSetupAsync(id);
                IEnumerable<string> parents;
                if (kind == NodeKind.KeyResult)
                {
                    var setup = await cycle.GetKeyResultSetupAsync(nodeId);
                    if (setup is null) return null;
                    title = setup.Definition.Title;
                    owner = setup.Definition.Owner;
                    parents = setup.ObjectiveId is { } p ? [p] : [];
                }
                else
                {
                    var setup = await Objective(nodeId);
                    if (setup is null) return null;
                    title = setup.Definition.Title;
                    owner = setup.Definition.Owner;
                    parents = setup.Parents;
                }
                // The objectives above, breadth first (bounded: an alignment is a few levels deep).
                var queue = new Queue<string>(parents);
                while (queue.Count > 0 && nodes.Count < 256)
                {
                    var id = queue.Dequeue();
                    if (nodes.Contains(id)) continue;
                    nodes.Add(id);
                    if (await Objective(id) is { } up)
                        foreach (var p in up.Parents) queue.Enqueue(p);
                }
            }
            var (teamId, ownerName) = await OwnerTeamAsync(owner);
            var org = await OrganisationAsync();
            var scopes = ImmutableArray.CreateBuilder<string>();
            scopes.Add("company");
            scopes.AddRange(nodes.Select(n => $"node:{n}"));
            scopes.AddRange(TeamScopes(org, teamId));
            return new NodeContext(title, owner, ownerName, teamId, scopes.ToImmutable());
        }
        catch (OkrRejectedException)
        {
            return null; // gone meanwhile
        }
    }
}
