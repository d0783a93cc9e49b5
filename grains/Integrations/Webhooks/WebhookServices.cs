using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OkrGrid.Engine.Feed;

namespace OkrGrid.Engine.Integrations.Webhooks;

public static class WebhookServices
{
    /// <summary>
    /// Outbound webhooks and check-in reminders in a silo: the transition detector (a change-feed tap), the outbox, the
    /// dispatcher and the reminder timer. Every silo runs them; the database keeps them from doing anything twice.
    /// </summary>
    public static IServiceCollection AddOkrGridWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>();
        services.TryAddSingleton(sp => new WebhookClock(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<WebhookContext>();
        services.AddSingleton<WebhookEventSource>();
        services.AddSingleton<INodeChangeTap>(sp => sp.GetRequiredService<WebhookEventSource>());
        services.AddHostedService(sp => sp.GetRequiredService<WebhookEventSource>());
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddSingleton<CheckInReminders>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckInReminders>());
        return services;
    }
}
