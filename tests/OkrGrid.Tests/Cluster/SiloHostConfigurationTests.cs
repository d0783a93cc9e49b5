using System.Diagnostics;

namespace OkrGrid.Tests.Cluster;

/// <summary>
/// The standalone silo host refuses a setting that cannot work at start-up, with one line naming the setting and what
/// it should be — not a stack trace — and the configuration exit code (78).
/// </summary>
public sealed class SiloHostConfigurationTests
{
    [Theory]
    [InlineData("Cluster__SiloPort", "eleven", "Cluster:SiloPort is 'eleven'; expected a TCP port")]
    [InlineData("Cluster__ResponseTimeout", "forever", "Cluster:ResponseTimeout is 'forever'; expected a duration such as 00:00:10")]
    [InlineData("Cluster__AdvertisedIP", "10.0.0.300", "Cluster:AdvertisedIP is '10.0.0.300'; expected an IP address")]
    [InlineData("Cluster__Membership", "Zookeeper", "Cluster:Membership is 'Zookeeper', which this build does not support. Supported: Localhost, Database")]
    [InlineData("Cluster__Mode", "Client", "Cluster:Mode is Client, but this is the silo host")]
    [InlineData("OKRGRID_POSTGRES", "Host=db;Nonsense=1", "OKRGRID_POSTGRES is not a PostgreSQL connection string Npgsql can read")]
    public async Task ABadSettingStopsTheStartNamingIt(string key, string value, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        var dll = Path.Combine(RepositoryRoot(), "silohost", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name,
            new DirectoryInfo(AppContext.BaseDirectory).Name, "OkrGrid.SiloHost.dll");
        var start = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OKRGRID_POSTGRES"] = "Host=127.0.0.1;Port=1;Username=nobody";
        start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        var error = await stderr;
        Assert.Equal(78, process.ExitCode);
        Assert.Contains($"OkrGrid cannot start: {expected}", error);
        Assert.DoesNotContain("   at ", error + await stdout); // no stack trace
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OkrGrid.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
    }
}
