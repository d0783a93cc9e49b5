using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;

namespace OkrGrid.Web.Access;

/// <summary>
/// An open page (a Blazor circuit) re-checks its account every 30 seconds: disabled, deleted, or its security stamp
/// changed (a new password, role or person) — and then it is signed out, as its cookie would be on the next request.
/// </summary>
public sealed class RevalidatingAccessStateProvider(ILoggerFactory loggerFactory, IServiceScopeFactory scopes, IOptions<IdentityOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(30);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        if (principal.Get(OkrClaims.Kind) != OkrClaims.KindUser) return true;
        var userId = principal.Get(OkrClaims.UserId) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null) return false;
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<UserStore>();
        if (await store.FindByIdAsync(userId, cancellationToken) is not { Disabled: false } user) return false;
        var stamp = principal.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType);
        return stamp is null || stamp == user.SecurityStamp;
    }
}
