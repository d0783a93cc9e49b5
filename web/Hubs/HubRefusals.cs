using Microsoft.AspNetCore.SignalR;

namespace OkrGrid.Web.Hubs;

/// <summary>
/// Hub calls that are refused — an unknown scope, a node that does not exist, a wall link asking for more — are the
/// client's mistakes, not the server's: they go back as a HubException whose message is "field: reason" and are logged
/// as information. The engine's refusals become the same. Anything else is a real failure: logged as an error with its
/// stack, and the client told only that it failed. (SignalR's own log of hub exceptions is turned off in
/// <see cref="LiveServices"/>; this filter logs every case itself.)
/// </summary>
public sealed class HubRefusals(ILogger<HubRefusals> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (HubException refused)
        {
            logger.LogInformation("Hub call {Method} by {Connection} refused: {Reason}", invocationContext.HubMethodName, invocationContext.Context.ConnectionId, refused.Message);
            throw;
        }
        catch (OkrRejectedException refused)
        {
            logger.LogInformation("Hub call {Method} by {Connection} refused: {Field}: {Reason}", invocationContext.HubMethodName, invocationContext.Context.ConnectionId, refused.Field, refused.Reason);
            throw new HubException($"{refused.Field}: {refused.Reason}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Hub call {Method} by {Connection} failed.", invocationContext.HubMethodName, invocationContext.Context.ConnectionId);
            throw new HubException("server: the call failed; try again.");
        }
    }
}
