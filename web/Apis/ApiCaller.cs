using OkrGrid.Access;

namespace OkrGrid.Web.Apis;

/// <summary>
/// The <see cref="Actor"/> behind an API request, bound as a handler parameter: the engine checks it against
/// what the request changes and writes it into the audit trail. The endpoint's policy has already let the caller in.
/// </summary>
public sealed class ApiCaller(Actor actor)
{
    public Actor Actor { get; } = actor;

    public static async ValueTask<ApiCaller?> BindAsync(HttpContext context)
    {
        var actor = await context.RequestServices.GetRequiredService<ActorResolver>().ResolveAsync(context.User, "api", context.RequestAborted)
            ?? throw OkrRejectedException.Forbidden("Authorization", "this caller may change nothing here.");
        return new ApiCaller(actor);
    }
}
