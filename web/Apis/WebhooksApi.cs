using Microsoft.Extensions.DependencyInjection.Extensions;
using OkrGrid.Web.Integrations;

namespace OkrGrid.Web.Apis;

/// <summary>
/// A new webhook: a name, the receiver's address (https://…; checked against private and loopback addresses), a scope
/// ("company", "team:{teamId}" or "node:{nodeId}"; default company), the events it wants and the payload format
/// (json, slack or teams; default json). The signing secret is made here and shown once, in the answer.
/// </summary>
public sealed record CreateWebhookRequest(string? Name, string? Url, ImmutableArray<string>? Events, string? Scope = null, string? Format = null);

/// <summary>A change of a webhook: fields left out stay. The secret cannot be changed (delete and create anew).</summary>
public sealed record EditWebhookRequest(string? Name = null, string? Url = null, ImmutableArray<string>? Events = null, string? Scope = null,
    string? Format = null, bool? Active = null);

/// <summary>A team's weekly check-in cadence: dayOfWeek 0 (Sunday) to 6, time "HH:mm", an IANA timeZone.</summary>
public sealed record SetCadenceRequest(int? DayOfWeek, string? Time, string? TimeZone);

/// <summary>
/// Outbound webhooks: signed POSTs to a receiver when statuses change, KPIs dip, cycles close, scenarios are applied or
/// a team's check-in is due. Admins manage every webhook, leads those of the teams they lead; members and viewers none.
/// </summary>
public static class WebhooksApi
{
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder api)
    {
        var hooks = api.MapGroup("/webhooks").WithTags("Webhooks").WithOkrProblems().RequireAuthorization(Policies.Share);
        hooks.MapGet("/", ListAsync).WithName("ListWebhooks");
        hooks.MapPost("/", CreateAsync).WithName("CreateWebhook");
        hooks.MapGet("/{webhookId}", GetAsync).WithName("GetWebhook");
        hooks.MapPatch("/{webhookId}", EditAsync).WithName("EditWebhook");
        hooks.MapDelete("/{webhookId}", DeleteAsync).WithName("DeleteWebhook");
        hooks.MapGet("/{webhookId}/deliveries", DeliveriesAsync).WithName("ListWebhookDeliveries");
        hooks.MapGet("/{webhookId}/dead-letters", DeadLettersAsync).WithName("ListWebhookDeadLetters");
        hooks.MapPost("/{webhookId}/deliveries/{deliveryId}/redeliver", RedeliverAsync).WithName("RedeliverWebhookDelivery");
        hooks.MapPost("/{webhookId}/ping", PingAsync).WithName("PingWebhook");

        var cadences = api.MapGroup("/check-in-cadences").WithTags("Webhooks").WithOkrProblems().RequireAuthorization(Policies.Share);
        cadences.MapGet("/", ListCadencesAsync).WithName("ListCheckInCadences");
        cadences.MapPut("/{teamId}", SetCadenceAsync).WithName("SetCheckInCadence");
        cadences.MapDelete("/{teamId}", RemoveCadenceAsync).WithName("RemoveCheckInCadence");
        return api;
    }

    public static async Task<Ok<ImmutableArray<WebhookView>>> ListAsync(WebhookAdmin admin, ApiCaller caller, CancellationToken ct) =>
        TypedResults.Ok((await admin.ListAsync(caller.Actor, ct)).ToImmutableArray());

    public static async Task<Created<WebhookCreated>> CreateAsync(CreateWebhookRequest request, WebhookAdmin admin, ApiCaller caller, CancellationToken ct)
    {
        var created = await admin.CreateAsync(caller.Actor, request.Name, request.Url, request.Scope, request.Events, request.Format, ct);
        return TypedResults.Created($"/api/webhooks/{created.Webhook.Id}", created);
    }

    public static async Task<Ok<WebhookView>> GetAsync(string webhookId, WebhookAdmin admin, ApiCaller caller, CancellationToken ct) =>
        TypedResults.Ok(await admin.GetAsync(caller.Actor, webhookId, ct));

    public static async Task<Ok<WebhookView>> EditAsync(string webhookId, EditWebhookRequest request, WebhookAdmin admin, ApiCaller caller, CancellationToken ct) =>
        TypedResults.Ok(await admin.ChangeAsync(caller.Actor, webhookId,
            new WebhookChange(request.Name, request.Url, request.Scope, request.Events, request.Format, request.Active), ct));

    public static async Task<Ok<WebhookView>> DeleteAsync(string webhookId, WebhookAdmin admin, ApiCaller caller, CancellationToken ct) =>
        TypedResults.Ok(await admin.DeleteAsync(caller.Actor, webhookId, ct));

    /// <summary>The delivery log, newest first: every delivery with its attempts (status, duration, error); <c>state</c> filters.</summary>
    public static async Task<Ok<ImmutableArray<WebhookDeliveryView>>> DeliveriesAsync(string webhookId, string? state, int? limit, WebhookAdmin admin,
        ApiCaller caller, CancellationToken ct) =>
        TypedResults.Ok((await admin.DeliveriesAsync(caller.Actor, webhookId, state, limit, ct)).ToImmutableArray());

    /// <summary>Deliveries that gave up after every attempt; redeliver sends one again.</summary>
    public static async Task<Ok<ImmutableArray<WebhookDeliveryView>>> DeadLettersAsync(string webhookId, int? limit, WebhookAdmin admin, ApiCaller caller,
        CancellationToken ct) =>
        TypedResults.Ok((await admin.DeliveriesAsync(caller.Actor, webhookId, "dead", limit, ct)).ToImmutableArray());

    public static async Task<Accepted<WebhookDeliveryView>> RedeliverAsync(string webhookId, string deliveryId, WebhookAdmin admin, ApiCaller caller,
        CancellationToken ct)
    {
        var delivery = await admin.RedeliverAsync(caller.Actor, webhookId, deliveryId, ct);
        return TypedResults.Accepted($"/api/webhooks/{webhookId}/deliveries", delivery);
    }

    public static async Task<Accepted<WebhookDeliveryView>> PingAsync(string webhookId, WebhookAdmin admin, ApiCaller caller, CancellationToken ct)
    {
        var delivery = await admin.PingAsync(caller.Actor, webhookId, ct);
        return TypedResults.Accepted($"/api/webhooks/{webhookId}/deliveries", delivery);
    }

    public static async Task<Ok<ImmutableArray<CadenceView>>> ListCadencesAsync(WebhookAdmin admin, ApiCaller caller, CancellationToken ct) =>
        TypedResults.Ok((await admin.ListCadencesAsync(caller.Actor, ct)).ToImmutableArray());

    public static async Task<Ok<CadenceView>> SetCadenceAsync(string teamId, SetCadenceRequest request, WebhookAdmin admin, ApiCaller caller, CancellationToken ct) =>
        TypedResults.Ok(await admin.SetCadenceAsync(caller.Actor, teamId, request.DayOfWeek, request.Time, request.TimeZone, ct));

    public static async Task<NoContent> RemoveCadenceAsync(string teamId, WebhookAdmin admin, ApiCaller caller, CancellationToken ct)
    {
        await admin.RemoveCadenceAsync(caller.Actor, teamId, ct);
        return TypedResults.NoContent();
    }
}

/// <summary>The webhooks' services in the web host (the silo runs the delivery; the web host manages subscriptions).</summary>
public static class WebhookHosting
{
    public static IServiceCollection AddOkrGridWebhookAdmin(this IServiceCollection services)
    {
        // A client-mode host has no silo: it validates addresses with the same settings.
        services.AddOptions<OkrGrid.Engine.Integrations.OutboundOptions>().BindConfiguration("Outbound");
        services.TryAddSingleton<OkrGrid.Engine.Integrations.OutboundHttp>();
        services.AddScoped<WebhookAdmin>();
        return services;
    }
}
