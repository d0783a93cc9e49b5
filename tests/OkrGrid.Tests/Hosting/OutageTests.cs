using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OkrGrid.Tests.Hosting;

/// <summary>
/// PostgreSQL stopped under a running host: readiness says so (503), check-ins answer 503 with Retry-After — not 500 —
/// and nothing unacknowledged is claimed; when PostgreSQL is back the host takes check-ins again without a restart.
/// The host runs on a PostgreSQL of its own (OKRGRID_DATA_DIR), which the test stops and starts.
/// </summary>
public sealed class OutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void AnEngineCallThatTimedOutIsAnOutageToWaitOutNotABug()
    {
        // What a grain call answers when the silo it was forwarded to died with it: Orleans' response timeout.
        Assert.Equal("the engine did not answer in time", OkrGrid.Web.Apis.Outage.Of(new TimeoutException("Response did not arrive on time")));
        Assert.Null(OkrGrid.Web.Apis.Outage.Of(new InvalidOperationException("a bug")));
    }

    [Fact]
    public void ACallOrleansCouldNotAddressIsAnOutageUnlessTheClientHungUp()
    {
        // The failover test met this: "Failed to address message … OperationCanceledException" while the directory
        // re-homed a dead silo's grains, and the web host answered 500.
        Assert.Equal("the engine could not route the call while a silo was replaced",
            OkrGrid.Web.Apis.Outage.Of(new OperationCanceledException("The operation was canceled.")));
        Assert.Null(OkrGrid.Web.Apis.Outage.Of(new OperationCanceledException(), clientHungUp: true));
    }

    [Fact]
    public async Task WithoutItsDatabaseTheHostAnswers503AndRecoversByItself()
    {
        await using var pg = new OwnPostgres();
        await using var web = await WebProcess.StartAsync(null, environment: pg.HostSettings);
        var cycle = (await web.Client.GetFromJsonAsync<JsonElement>("/api/cycles/current", Ct)).GetProperty("id").GetString();
        var kr = $"{cycle}:growth-logos";
        Assert.Equal(HttpStatusCode.Created, (await CheckInAsync(web, kr, 3)).StatusCode);

        Assert.Equal(0, await pg.PgAsync("stop"));
        using (var ready = await web.Client.GetAsync("/healthz/ready", Ct)) Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using (var live = await web.Client.GetAsync("/healthz/live", Ct)) Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using (var refused = await CheckInAsync(web, kr, 4))
        {
            var body = await refused.Content.ReadAsStringAsync(Ct);
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {body}");
            Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("\"field\":\"service\"", body);
            Assert.Contains("the database does not answer", body);
        }

        Assert.Equal(0, await pg.PgAsync("start"));
        var recovered = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            await Task.Delay(500, Ct);
            using var response = await CheckInAsync(web, kr, 5);
            status = response.StatusCode;
        } while (status != HttpStatusCode.Created && recovered.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.Created, status);
        using (var ready = await web.Client.GetAsync("/healthz/ready", Ct)) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(5, (await web.Client.GetFromJsonAsync<JsonElement>($"/api/key-results/{kr}", Ct)).GetProperty("current").GetDouble());
    }

    private static async Task<HttpResponseMessage> CheckInAsync(WebProcess web, string kr, double value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/key-results/{kr}/check-ins") { Content = JsonContent.Create(new { value }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        return await web.Client.SendAsync(request, Ct);
    }
}
