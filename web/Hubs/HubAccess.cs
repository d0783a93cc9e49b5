using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace OkrGrid.Web.Hubs;

/// <summary>
/// A hub connection is authenticated once, when it opens; this keeps the token (or wall link) of each open connection
/// and closes the connection when its token stops working — at once when it is revoked on this host, and within
/// <see cref="RecheckEvery"/> when it is revoked elsewhere or expires.
/// </summary>
public sealed class HubAccess : BackgroundService
{
    public static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(10);

    private static readonly TokenKind[] AnyKind = [TokenKind.Personal, TokenKind.Service, TokenKind.Wall];
    private readonly ConcurrentDictionary<string, (string Token, HubCallerContext Context)> _open = new();
    private readonly AccessTokens _tokens;
    private readonly ILogger<HubAccess> _logger;

    public HubAccess(AccessTokens tokens, ILogger<HubAccess> logger)
    {
        _tokens = tokens;
        _logger = logger;
        tokens.Revoked += id =>
        {
            foreach (var (connection, open) in _open)
                if (TokenIdOf(open.Context) == id) Close(connection, "revoked");
        };
    }

    /// <summary>Remembers a connection that came with a token or a wall link (sessions need nothing here).</summary>
    public void Opened(HubCallerContext context, string? presented)
    {
        if (presented is not null && TokenIdOf(context) is not null) _open[context.ConnectionId] = (presented, context);
    }

    public void Closed(string connectionId) => _open.TryRemove(connectionId, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RecheckEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var (connection, open) in _open)
            {
                try
                {
                    var check = await _tokens.CheckAsync(open.Token, AnyKind, stoppingToken);
                    if (!check.Ok) Close(connection, check.Problem.ToString().ToLowerInvariant());
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogDebug(ex, "Could not re-check the token of hub connection {Connection}.", connection);
                }
            }
        }
    }

    private void Close(string connectionId, string why)
    {
        if (!_open.TryRemove(connectionId, out var open)) return;
        _logger.LogInformation("Closing hub connection {Connection}: its token was {Why}.", connectionId, why);
        open.Context.Abort();
    }

    private static string? TokenIdOf(HubCallerContext context) => context.User?.Get(OkrClaims.TokenId);
}
