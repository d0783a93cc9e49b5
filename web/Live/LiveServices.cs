using System.Text.Json;
using System.Text.Json.Serialization;

namespace OkrGrid.Web.Live;

public static class LiveServices
{
    /// <summary>
    /// The live path of this host: its change-feed observer, the board pages read, and the SignalR hub with
    /// per-connection coalesced pushes.
    /// </summary>
    public static IServiceCollection AddOkrGridLive(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<LiveBoard>();
        services.AddSingleton<HostChangeFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<HostChangeFeed>());
        services.Configure<LiveOptions>(configuration.GetSection(LiveOptions.SectionName));
        services.AddSingleton<HubPushes>();
        services.AddHostedService(sp => sp.GetRequiredService<HubPushes>());
        services.AddSignalR().AddJsonProtocol(o =>
            o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        return services;
    }

    public static IEndpointRouteBuilder MapOkrGridHubs(this IEndpointRouteBuilder app)
    {
        app.MapHub<ScorecardHub>(ScorecardHub.Path);
        return app;
    }
}
