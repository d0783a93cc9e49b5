using System.Net;
using System.Net.Sockets;

namespace OkrGrid.Engine.Integrations;

/// <summary>
/// Rules for every call OkrGrid makes to an address a user typed (webhooks, pull sources): which addresses it may
/// reach, how long it waits and how much it reads. Bound from the "Outbound" configuration section.
/// </summary>
public sealed class OutboundOptions
{
    /// <summary>
    /// Allow loopback, link-local, private (RFC 1918, unique-local IPv6), CGNAT and other non-public addresses. Off by
    /// default: a user who may add a webhook must not be able to make the server call its own admin ports or a cloud
    /// metadata endpoint (169.254.169.254). Tests and single-machine installs turn it on.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>The whole of one call: connect, send, and read the answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most of an answer that is read; a larger one fails the call.</summary>
    public int MaxResponseBytes { get; set; } = 256 * 1024;
}

/// <summary>Why an address was refused; the message names the rule so the user can fix the URL.</summary>
public sealed class OutboundRefusedException(string message) : Exception(message);

/// <summary>
/// The one <see cref="HttpClient"/> for user-supplied addresses. The address check runs when the socket connects, on
/// the address actually dialled (after DNS), so a name that resolves to a private address — or is re-pointed there
/// after it was checked (DNS rebinding) — is refused too. Redirects are not followed: a public URL could redirect to a
/// private one.
/// </summary>
public sealed class OutboundHttp : IDisposable
{
    private readonly OutboundOptions _options;

    public OutboundHttp(IOptions<OutboundOptions> options)
    {
        _options = options.Value;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2), // DNS changes are seen
            ConnectTimeout = _options.Timeout,
            ConnectCallback = ConnectAsync,
        };
        Client = new HttpClient(handler) { Timeout = _options.Timeout, MaxResponseContentBufferSize = _options.MaxResponseBytes };
        Client.DefaultRequestHeaders.UserAgent.ParseAdd("OkrGrid/1.0");
    }

    /// <summary>Timeout and the response size limit are set on it; callers add their own per-call token.</summary>
    public HttpClient Client { get; }

    public OutboundOptions Options => _options;

    /// <summary>
    /// Checks what can be checked before any call: an absolute http(s) URL without credentials, and — when it is an IP
    /// literal or a name like "localhost" — an allowed address. Returns null when acceptable, else the reason.
    /// </summary>
    public string? Validate(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return "is required";
        if (url.Length > 2048) return "is longer than 2048 characters";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return "is not an absolute URL";
        if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) return "must start with https:// or http://";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "must not carry a user name or password (use the auth header)";
        if (_options.AllowPrivateNetworks) return null;
        if (uri.IsLoopback || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return "points at this machine (loopback addresses are refused unless an admin allows private networks)";
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && !IsPublic(ip))
            return $"points at a non-public address ({ip}); private, link-local and loopback addresses are refused unless an admin allows private networks";
        return null;
    }

    /// <summary>Whether an address is on the public internet (not loopback, private, link-local, CGNAT, multicast…).</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast) || address.Equals(IPAddress.IPv6None))
            return false;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 // "this" network
                || b[0] == 10
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // carrier-grade NAT
                || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0) // IETF protocol assignments
                || (b[0] == 192 && b[1] == 0 && b[2] == 2) // documentation (TEST-NET-1) — and some hosts' own address
                || (b[0] == 198 && b[1] == 51 && b[2] == 100) // documentation (TEST-NET-2)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113) // documentation (TEST-NET-3)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) // benchmarking
                || b[0] >= 224); // multicast and reserved
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal) return false;
            var b = address.GetAddressBytes();
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false; // documentation
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) return false; // NAT64 can reach private IPv4
            return true;
        }
        return false;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        var allowed = _options.AllowPrivateNetworks ? addresses : addresses.Where(IsPublic).ToArray();
        if (allowed.Length == 0)
            throw new OutboundRefusedException(addresses.Length == 0
                ? $"{host} does not resolve"
                : $"{host} resolves to a non-public address ({addresses[0]}); refused unless an admin allows private networks");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The reason a failed call gives a user: the refusal, the timeout, or the transport's own message.</summary>
    public static string Describe(Exception e) => e switch
    {
        OutboundRefusedException r => r.Message,
        HttpRequestException { InnerException: OutboundRefusedException r } => r.Message,
        TaskCanceledException or OperationCanceledException => "timed out",
        HttpRequestException h when h.Message.Contains("buffer", StringComparison.OrdinalIgnoreCase) => "the answer was larger than the limit",
        HttpRequestException h => h.Message,
        _ => e.Message,
    };

    public void Dispose() => Client.Dispose();
}
