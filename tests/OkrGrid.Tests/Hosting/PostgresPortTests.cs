using System.Text.RegularExpressions;

namespace OkrGrid.Tests.Hosting;

/// <summary>
/// deploy/pg.sh gives a cluster its port for life: while a cluster is down (crashed or stopped), another cluster of this
/// machine does not take its port, so the hosts still pointed at it find it again when it comes back. (CI once saw a
/// test's crashed PostgreSQL come back on another port after a parallel test's cluster took its port; the hosts then
/// reached the wrong server for good: "database … does not exist".)
/// </summary>
public sealed partial class PostgresPortTests
{
    [Fact]
    public async Task AKilledClustersPortIsNotTakenByAnotherAndItComesBackOnIt()
    {
        await using var first = new OwnPostgres();
        await using var second = new OwnPostgres();
        Assert.Equal(0, await first.PgAsync("start"));
        var port = PortOf(await first.UrlAsync("okrgrid"));

        await first.KillAsync();
        Assert.Equal(0, await second.PgAsync("start"));
        Assert.NotEqual(port, PortOf(await second.UrlAsync("okrgrid")));

        Assert.Equal(0, await first.PgAsync("start"));
        Assert.Equal(port, PortOf(await first.UrlAsync("okrgrid")));
    }

    [Fact]
    public async Task ADestroyedClusterReleasesItsPort()
    {
        await using var first = new OwnPostgres();
        Assert.Equal(0, await first.PgAsync("start"));
        var port = PortOf(await first.UrlAsync("okrgrid"));
        var registry = Environment.GetEnvironmentVariable("OKRGRID_PG_PORT_REGISTRY") ?? "/tmp/okrgrid-pg-ports.d";
        Assert.True(File.Exists(Path.Combine(registry, port.ToString(System.Globalization.CultureInfo.InvariantCulture))), "the port is reserved while the cluster exists");

        Assert.Equal(0, await first.PgAsync("destroy"));
        Assert.False(File.Exists(Path.Combine(registry, port.ToString(System.Globalization.CultureInfo.InvariantCulture))), "destroy releases the reservation");
    }

    private static int PortOf(string url) => int.Parse(Port().Match(url).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Port=(\d+)")]
    private static partial Regex Port();
}
