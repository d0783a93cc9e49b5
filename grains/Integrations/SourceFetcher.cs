using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Npgsql;
using OkrGrid.Sources;

namespace OkrGrid.Engine.Integrations;

/// <summary>A pull that gave no number, with the reason the source's owner reads ("the server answered 500 …").</summary>
public sealed class SourceFailureException(string message) : Exception(message);

/// <summary>
/// Reads one number from where a pull source points: an HTTP JSON endpoint through <see cref="OutboundHttp"/> (the
/// address rules, timeout and size limit of every user-typed address), or a PostgreSQL query run read-only
/// (<c>SET TRANSACTION READ ONLY</c>, <c>default_transaction_read_only</c>, <c>statement_timeout</c>, one row of one
/// numeric column). It checks settings before they are stored, so a source that cannot work is refused at once.
/// </summary>
public sealed class SourceFetcher(OutboundHttp http, IOptions<SourceOptions> options)
{
    /// <summary>Errors are kept this short: they are shown on a page and written to the audit.</summary>
    public const int MaxError = 500;

    private static readonly string[] RefusedHeaders = ["host", "content-length", "content-type", "transfer-encoding", "connection", "cookie", "expect", "upgrade"];

    public OutboundOptions Outbound => http.Options;

    /// <summary>Why an HTTP source's URL cannot be used (null: it can), by <see cref="OutboundHttp.Validate"/>.</summary>
    public string? ValidateUrl(string? url) => http.Validate(url);

    public static string? ValidateHeaderName(string name)
    {
        if (name.Length is 0 or > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            return "must be an HTTP header name (letters, digits and '-'), e.g. Authorization or X-Api-Key";
        if (RefusedHeaders.Contains(name.ToLowerInvariant())) return $"'{name}' is set by OkrGrid itself; use Authorization or an API-key header";
        return null;
    }

    public static string? ValidateHeaderValue(string value)
    {
        if (value.Length == 0) return "must not be empty (leave the header out instead)";
        if (value.Length > SourceRules.MaxHeaderValue) return $"must be at most {SourceRules.MaxHeaderValue} characters";
        if (value.Any(c => char.IsControl(c) || c > '~')) return "must be printable ASCII without line breaks";
        return null;
    }

    /// <summary>
    /// Why a SQL source's query cannot be used (null: it can): one statement, so nothing runs after the read-only
    /// transaction's first command (a ';' could end it and start another). A trailing ';' is allowed.
    /// </summary>
    public static string? ValidateQuery(string? query)
    {
        if (string.IsNullOrWhiteSpace(query)) return "is required: a query returning one row with one number, e.g. select count(*) from orders";
        if (query.Length > SourceRules.MaxQuery) return $"must be at most {SourceRules.MaxQuery} characters";
        if (query.TrimEnd().TrimEnd(';').Contains(';')) return "must be one statement (no ';' inside)";
        if (query.Contains('\0')) return "must not contain NUL";
        return null;
    }

    /// <summary>
    /// Why a SQL source's connection string cannot be used (null: it can): Npgsql must read it, it names a host, reads no
    /// files on this server, and — unless private networks are allowed — its host is not a loopback, private or link-local
    /// address or a Unix socket (names are resolved again at each pull, on the address dialled).
    /// </summary>
    public string? ValidateConnectionString(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) return "is required, e.g. Host=db.example.com;Database=sales;Username=okrgrid_reader;Password=…";
        if (connectionString.Length > 2000) return "must be at most 2000 characters";
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            return "is not a PostgreSQL connection string Npgsql can read (e.g. Host=…;Database=…;Username=…;Password=…)";
        }
        if (string.IsNullOrWhiteSpace(builder.Host)) return "must name a Host";
        if (builder.Passfile is not null || builder.SslCertificate is not null || builder.SslKey is not null || builder.RootCertificate is not null)
            return "must not name files on the OkrGrid server (Passfile, SSL Certificate, SSL Key, Root Certificate)";
        if (http.Options.AllowPrivateNetworks) return null;
        foreach (var host in Hosts(builder.Host))
        {
            if (host.StartsWith('/') || host.StartsWith('@')) return "points at a Unix socket on this machine; refused unless an admin allows private networks";
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
                return "points at this machine (loopback addresses are refused unless an admin allows private networks)";
            if (IPAddress.TryParse(host.Trim('[', ']'), out var loopback) && IPAddress.IsLoopback(loopback))
                return "points at this machine (loopback addresses are refused unless an admin allows private networks)";
            if (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && !OutboundHttp.IsPublic(ip))
                return $"points at a non-public address ({ip}); private, link-local and loopback addresses are refused unless an admin allows private networks";
        }
        return null;
    }

    /// <summary>
    /// Why a SQL source's hosts cannot be used once resolved (null: they can): a name that does not resolve, or resolves
    /// only to non-public addresses while private networks are not allowed. Checked again at every pull, on the address dialled.
    /// </summary>
    public async Task<string?> ValidateResolvedHostsAsync(string connectionString, CancellationToken ct)
    {
        if (http.Options.AllowPrivateNetworks) return null;
        try
        {
            await PublicHostsAsync(new NpgsqlConnectionStringBuilder(connectionString), ct);
            return null;
        }
        catch (SourceFailureException f) { return f.Message; }
        catch (System.Net.Sockets.SocketException s) { return $"names a host that does not resolve ({s.Message})"; }
        catch (OperationCanceledException) { return "names a host that does not resolve in time"; }
    }

    /// <summary>"db.example.com:5432/sales" — where a SQL source reads, without its user or password.</summary>
    public static string? SqlTarget(string? connectionString)
    {
        if (connectionString is null) return null;
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{b.Host}:{b.Port}/{b.Database ?? b.Username ?? ""}";
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException) { return null; }
    }

    /// <summary>Fetches once: the number, or the reason there is none. Never throws but for cancellation.</summary>
    internal async Task<SourceFetch> FetchAsync(SourceRow row, DateTimeOffset at, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var value = row.Kind switch
            {
                SourceKind.Http => await FetchHttpAsync(row, ct),
                SourceKind.Sql => await FetchSqlAsync(row, ct),
                _ => throw new SourceFailureException("a push source has nothing to fetch: values are posted to its ingest URL"),
            };
            return new SourceFetch(true, value, null, at, watch.Elapsed.TotalMilliseconds);
        }
        catch (Exception e) when (!ct.IsCancellationRequested || e is not OperationCanceledException)
        {
            return new SourceFetch(false, null, Short(Describe(e)), at, watch.Elapsed.TotalMilliseconds);
        }
    }

    private async Task<double> FetchHttpAsync(SourceRow row, CancellationToken ct)
    {
        var path = JsonPathLite.TryParse(row.JsonPath, out var pathError) ?? throw new SourceFailureException($"the JSON path {pathError}");
        using var request = new HttpRequestMessage(HttpMethod.Get, row.Url);
        request.Headers.Accept.ParseAdd("application/json");
        if (row.AuthHeaderValue is { } secret) request.Headers.TryAddWithoutValidation(row.AuthHeaderName ?? "Authorization", secret);
        using var response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new SourceFailureException($"the server answered {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd());
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        JsonDocument document;
        try { document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e)
        {
            var type = response.Content.Headers.ContentType?.MediaType;
            throw new SourceFailureException($"the answer is not JSON{(type is null ? "" : $" ({type})")}: {e.Message.Split(" Path:")[0]}");
        }
        using (document)
        {
            if (!path.TryReadNumber(document.RootElement, out var value, out var error)) throw new SourceFailureException(error!);
            return value;
        }
    }

    private async Task<double> FetchSqlAsync(SourceRow row, CancellationToken ct)
    {
        if (ValidateConnectionString(row.ConnectionString) is { } bad) throw new SourceFailureException($"the connection string {bad}");
        if (ValidateQuery(row.Query) is { } badQuery) throw new SourceFailureException($"the query {badQuery}");
        var builder = new NpgsqlConnectionStringBuilder(row.ConnectionString);
        if (!http.Options.AllowPrivateNetworks) builder.Host = await PublicHostsAsync(builder, ct);
        var timeout = options.Value.SqlStatementTimeout;
        var ms = (long)Math.Max(1, timeout.TotalMilliseconds);
        builder.Timeout = Math.Max(1, (int)Math.Ceiling(http.Options.Timeout.TotalSeconds));
        builder.CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds) + 2;
        builder.Pooling = false;
        builder.Multiplexing = false;
        builder.ApplicationName = "okrgrid-source";
        // Read-only for the whole session, not only for the transaction below.
        builder.Options = $"{builder.Options} -c default_transaction_read_only=on -c statement_timeout={ms}".Trim();
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var set = new NpgsqlCommand(string.Create(CultureInfo.InvariantCulture, $"set transaction read only; set local statement_timeout = {ms}"), connection, tx))
            await set.ExecuteNonQueryAsync(ct);
        await using var cmd = new NpgsqlCommand(row.Query!.TrimEnd().TrimEnd(';'), connection, tx);
        double value;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (reader.FieldCount != 1) throw new SourceFailureException($"the query returns {reader.FieldCount} columns; it must return one (a number)");
            if (!await reader.ReadAsync(ct)) throw new SourceFailureException("the query returned no row; it must return one row with one number");
            value = reader.IsDBNull(0) ? throw new SourceFailureException("the query returned null, not a number") : reader.GetValue(0) switch
            {
                short s => s,
                int i => i,
                long l => l,
                float f => f,
                double d => d,
                decimal m => (double)m,
                var other => throw new SourceFailureException($"the query returned {reader.GetDataTypeName(0)} ({Short(Convert.ToString(other, CultureInfo.InvariantCulture) ?? "", 40)}), not a number"),
            };
            if (await reader.ReadAsync(ct)) throw new SourceFailureException("the query returned more than one row; it must return exactly one");
        }
        await tx.RollbackAsync(ct);
        if (!double.IsFinite(value)) throw new SourceFailureException("the query returned a value that is not a finite number");
        return value;
    }

    /// <summary>
    /// The hosts of a connection string resolved to public addresses, which are then dialled (so a name re-pointed to
    /// a private address after it was checked is not followed). A host that resolves only to non-public addresses fails
    /// the pull. With TLS host-name verification (VerifyFull) the names are kept: the certificate must match them.
    /// </summary>
    private static async Task<string> PublicHostsAsync(NpgsqlConnectionStringBuilder builder, CancellationToken ct)
    {
        var resolved = new List<string>();
        foreach (var entry in builder.Host!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (host, port) = SplitPort(entry);
            if (host.StartsWith('/') || host.StartsWith('@')) throw new SourceFailureException("the connection string points at a Unix socket; refused unless an admin allows private networks");
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
            var allowed = addresses.Where(OutboundHttp.IsPublic).ToArray();
            if (allowed.Length == 0)
                throw new SourceFailureException(addresses.Length == 0 ? $"{host} does not resolve"
                    : $"{host} resolves to a non-public address ({addresses[0]}); refused unless an admin allows private networks");
            var address = allowed[0].AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{allowed[0]}]" : allowed[0].ToString();
            resolved.Add(builder.SslMode == SslMode.VerifyFull ? entry : port is null ? address : $"{address}:{port}");
        }
        return string.Join(',', resolved);
    }

    private static IEnumerable<string> Hosts(string hosts) =>
        hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(h => SplitPort(h).Host);

    private static (string Host, string? Port) SplitPort(string entry)
    {
        if (entry.StartsWith('['))
        {
            var end = entry.IndexOf(']');
            return end < 0 ? (entry, null) : (entry[..(end + 1)], end + 2 < entry.Length && entry[end + 1] == ':' ? entry[(end + 2)..] : null);
        }
        var colon = entry.LastIndexOf(':');
        return colon > 0 && entry.IndexOf(':') == colon && !entry.StartsWith('/') ? (entry[..colon], entry[(colon + 1)..]) : (entry, null);
    }

    /// <summary>A failure as the source's owner reads it — never the connection string, the header or the answer's body.</summary>
    private static string Describe(Exception e) => e switch
    {
        SourceFailureException f => f.Message,
        PostgresException p => $"PostgreSQL: {p.SqlState} {p.MessageText}",
        NpgsqlException { InnerException: TimeoutException } => "timed out",
        NpgsqlException { InnerException: System.Net.Sockets.SocketException s } => $"could not connect: {s.Message}",
        NpgsqlException n when n.InnerException is OperationCanceledException => "timed out",
        NpgsqlException n => $"PostgreSQL: {n.Message}",
        System.Net.Sockets.SocketException s => $"could not connect: {s.Message}",
        _ => OutboundHttp.Describe(e),
    };

    private static string Short(string text, int max = MaxError) => text.Length > max ? text[..(max - 1)] + "…" : text;
}
