using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR;

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
        // Times traced check-ins from the API's 201 to the top of their chain, from what the change feed brings.
        services.AddSingleton<OkrGrid.Web.Telemetry.PropagationTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<OkrGrid.Web.Telemetry.PropagationTracker>());
        services.AddSingleton<HostChangeFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<HostChangeFeed>());
        services.Configure<LiveOptions>(configuration.GetSection(LiveOptions.SectionName));
        services.AddSingleton<HubPushes>();
        services.AddSingleton<HubAccess>();
        services.AddHostedService(sp => sp.GetRequiredService<HubAccess>());
        services.AddHostedService(sp => sp.GetRequiredService<HubPushes>());
        services.AddSignalR(o => o.AddFilter<HubRefusals>())
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)))
            // MessagePack beside JSON: smaller pushes for clients that ask for it (enums go by name, as in JSON).
            .AddMessagePackProtocol(o => o.SerializerOptions = MessagePack.MessagePackSerializerOptions.Standard
                .WithResolver(MessagePack.Resolvers.CompositeResolver.Create(
                    MessagePack.Resolvers.DynamicEnumAsStringResolver.Instance, MessagePack.Resolvers.ContractlessStandardResolver.Instance)));
        // HubRefusals logs each refused or failed call itself, at the level it deserves.
        services.AddLogging(logging => logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.None));
        return services;
    }

    public static IEndpointRouteBuilder MapOkrGridHubs(this IEndpointRouteBuilder app)
    {
        app.MapHub<ScorecardHub>(ScorecardHub.Path).RequireAuthorization(OkrGrid.Web.Access.Policies.Hub);
        return app;
    }
}
