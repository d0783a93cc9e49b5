using OkrGrid.Sources;

namespace OkrGrid.Web.Integrations;

/// <summary>What the pages do with data sources, as the signed-in user: the API's rules, behind one typed service.</summary>
public sealed class SourceCommands(IGrainFactory grains, CurrentUser user)
{
    /// <summary>A new source for the node; a push source's token is in the answer, once.</summary>
    public async Task<SourceCreated> CreateAsync(SourceDraft draft)
    {
        var actor = await user.RequireActorAsync();
        return await grains.GetGrain<ISourceGrain>(SourceRules.NewId()).CreateAsync(draft with { CompanyId = Company.Id }, actor);
    }

    /// <summary>
    /// Whether to offer "connect a data source" to this user at all — admins and leads with write access (the engine
    /// still decides for the node: a lead of another team gets its refusal, shown on the form) — and SQL sources
    /// (admins: the query runs on a database the server reaches). One actor lookup for both.
    /// </summary>
    public async Task<(bool Offer, bool Sql)> OffersAsync()
    {
        var actor = await user.ActorAsync();
        var offer = actor is { Scope: >= OkrGrid.Access.AccessScope.Write, Role: OkrGrid.Access.Role.Admin or OkrGrid.Access.Role.Lead };
        return (offer, offer && actor!.Role == OkrGrid.Access.Role.Admin);
    }
}
