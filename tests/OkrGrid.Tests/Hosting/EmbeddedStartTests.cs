namespace OkrGrid.Tests.Hosting;

/// <summary>
/// `dotnet run --project web` as a newcomer meets it: with no database given the host starts a PostgreSQL of its own,
/// comes up without a single "fail:" line, and stops that PostgreSQL again when it is stopped — but leaves one it
/// found running alone. Each test uses a cluster of its own (<see cref="OwnPostgres"/>), never the suite's.
/// </summary>
public sealed class EmbeddedStartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AHostThatStartedItsPostgreSqlStopsItAndAHealthyStartLogsNoFailure()
    {
        await using var pg = new OwnPostgres();
        var web = await WebProcess.StartAsync(null, environment: Settings(pg));
        Assert.Equal(0, await pg.PgAsync("status")); // running: the host started it
        // Polled while starting (as WaitHealthy does): not ready is not a failure.
        await Task.Delay(500, Ct);
        Assert.DoesNotContain("fail:", web.Output);
        await web.StopAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("Stopping the embedded PostgreSQL this host started", web.Output);
        Assert.Equal(3, await pg.PgAsync("status")); // stopped
        await web.DisposeAsync();
    }

    [Fact]
    public async Task APostgreSqlThatWasAlreadyRunningKeepsRunning()
    {
        await using var pg = new OwnPostgres();
        Assert.Equal(0, await pg.PgAsync("start"));
        var web = await WebProcess.StartAsync(null, environment: Settings(pg));
        await web.StopAsync(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("Stopping the embedded PostgreSQL", web.Output);
        Assert.Equal(0, await pg.PgAsync("status"));
        await web.DisposeAsync();
    }

    private static Dictionary<string, string> Settings(OwnPostgres pg) => new(pg.HostSettings)
    {
        // Information too: a "fail:" would show at any level, and the host's own account of the start is read above.
        ["Logging__LogLevel__Default"] = "Information",
    };
}
