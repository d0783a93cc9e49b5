using Microsoft.AspNetCore.Components.Authorization;
using OkrGrid.Access;

namespace OkrGrid.Web.Access;

/// <summary>
/// The person using a page (one per circuit): their <see cref="Actor"/> for the commands the page sends — the engine
/// checks it and writes it into the audit — and what the page may offer them.
/// </summary>
public sealed class CurrentUser(AuthenticationStateProvider authentication, ActorResolver actors, DatabaseMode mode)
{
    /// <summary>The actor of this page's user, read fresh (a role may have changed since the page opened); null when signed out.</summary>
    public async Task<Actor?> ActorAsync(CancellationToken ct = default)
    {
        var state = await authentication.GetAuthenticationStateAsync();
        return await actors.ResolveAsync(state.User, "page", ct);
    }

    /// <summary>The actor, or a refusal the page shows like any other (a signed-out page changes nothing).</summary>
    public async Task<Actor> RequireActorAsync(CancellationToken ct = default) =>
        await ActorAsync(ct) ?? throw OkrRejectedException.Forbidden("Authorization", "you are signed out; sign in again to make changes.");

    public bool IsDemo => mode.IsDemo;
}
