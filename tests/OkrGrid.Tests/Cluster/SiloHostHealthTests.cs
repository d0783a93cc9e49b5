using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using OkrGrid.Tests.Hosting;

namespace OkrGrid.Tests.Cluster;

/// <summary>
/// The standalone silo host's operations HTTP, as an orchestrator and a scraper use it: /healthz/ready is 200 once the
/// silo is an active member and PostgreSQL answers, 503 while PostgreSQL is down (liveness stays 200, since restarting
/// would not help) and 200 again when it is back; /metrics answers a scraper with the scrape token only.
/// </summary>
public sealed class SiloHostHealthTests
{
    private const string ScrapeToken = "0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task ReadinessFollowsMembershipAndTheDatabaseAndMetricsNeedTheScrapeToken()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pg = new OwnPostgres();
        Assert.Equal(0, await pg.PgAsync("createdb", "okrgrid_silo_health"));
        var db = await pg.UrlAsync("okrgrid_silo_health");
        var port = WebProcess.FreePort();
        await using var silo = await SiloProcess.StartAsync(db, "silo-health", "okrgrid-silo-health", new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Telemetry__ScrapeToken"] = ScrapeToken,
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

        // Active in the membership table (SiloProcess waited for it): ready and live.
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.OK, "ready once active");
        using (var live = await http.GetAsync("/healthz/live", ct)) Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        // Metrics: 401 without the token or with another, Prometheus text with it — Orleans' and OkrGrid's meters.
        using (var anonymous = await http.GetAsync("/metrics", ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ScrapeToken[..^1] + "0");
            using var refused = await http.SendAsync(wrong, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            scrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ScrapeToken);
            using var metrics = await http.SendAsync(scrape, ct);
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            var text = await metrics.Content.ReadAsStringAsync(ct);
            Assert.Contains("orleans_", text, StringComparison.Ordinal);
            Assert.Contains("db_client_", text, StringComparison.Ordinal); // Npgsql's instrumentation: the silo talks to PostgreSQL
        }

        // PostgreSQL killed: not ready (the database check), still live; back: ready again, same process.
        await pg.KillAsync();
        var outage = Stopwatch.StartNew();
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.ServiceUnavailable, "not ready while PostgreSQL is down");
        using (var live = await http.GetAsync("/healthz/live", ct)) Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(0, await pg.PgAsync("start"));
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.OK, "ready again after PostgreSQL came back");
        Assert.False(silo.HasExited, silo.Output);
        TestContext.Current.TestOutputHelper?.WriteLine($"outage and recovery seen by readiness within {outage.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task WaitForAsync(HttpClient http, string path, HttpStatusCode expected, string what)
    {
        var watch = Stopwatch.StartNew();
        var last = "";
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                using var response = await http.GetAsync(path);
                if (response.StatusCode == expected) return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e) { last = e.Message; }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Not within 60 s: {what} (last answer: {last}).");
    }
}
