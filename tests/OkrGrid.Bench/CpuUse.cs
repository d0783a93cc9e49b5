namespace OkrGrid.Bench;

/// <summary>
/// Average cores busy during a figure, in the web host's process and in this one (the load generator and its
/// clients): on a 2-core machine the two compete, and CPU per check-in says where the time goes.
/// </summary>
public sealed record CpuUse(double HostCores, double LoadGeneratorCores)
{
    public override string ToString() => $"host {HostCores:F2} cores, load generator {LoadGeneratorCores:F2}";

    /// <summary>Host CPU time per unit of work, in microseconds.</summary>
    public double HostMicrosecondsPer(double perSecond) => perSecond > 0 ? HostCores / perSecond * 1e6 : 0;

    /// <summary>Starts measuring; the returned function ends the measurement.</summary>
    public static Func<CpuUse> Measure(int hostProcessId)
    {
        var (host, self, started) = (HostCpu(hostProcessId), SelfCpu(), Stopwatch.GetTimestamp());
        return () =>
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return new CpuUse((HostCpu(hostProcessId) - host).TotalSeconds / seconds, (SelfCpu() - self).TotalSeconds / seconds);
        };
    }

    /// <summary>Average cores this process (the in-process silo and the bench's clients) keeps busy until the returned function is called.</summary>
    public static Func<double> MeasureSelf()
    {
        var (self, started) = (SelfCpu(), Stopwatch.GetTimestamp());
        return () => (SelfCpu() - self).TotalSeconds / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static TimeSpan HostCpu(int pid)
    {
        using var p = Process.GetProcessById(pid);
        return p.TotalProcessorTime;
    }

    private static TimeSpan SelfCpu()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }
}
