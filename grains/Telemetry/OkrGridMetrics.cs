using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OkrGrid.Engine.Telemetry;

/// <summary>
/// OkrGrid's own instruments, on the meter <see cref="MeterName"/> (exported with Orleans', ASP.NET Core's and Npgsql's
/// by the hosts' OpenTelemetry setup). One static meter per process: a silo or web host is one process, and an
/// instrument nobody listens to costs next to nothing, so the engine records unconditionally. In a test process that
/// runs several in-process silos the values of all of them add up — tests that read them run the host as a process.
/// </summary>
public static class OkrGridMetrics
{
    public const string MeterName = "OkrGrid";

    /// <summary>Spans of our own (none yet on the hot path); listed so a trace exporter picks them up.</summary>
    public const string ActivitySourceName = "OkrGrid";

    public static readonly Meter Meter = new(MeterName, typeof(OkrGridMetrics).Assembly.GetName().Version?.ToString());

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    /// <summary>Check-ins made durable (a retry of one already committed is not counted again). Rate = check-ins/s.</summary>
    public static readonly Counter<long> CheckIns = Meter.CreateCounter<long>(
        "okrgrid.checkins", "{check-in}", "Key-result check-ins committed to the journal (retries of a committed one not counted again).");

    /// <summary>KPI measurements made durable, likewise.</summary>
    public static readonly Counter<long> Measurements = Meter.CreateCounter<long>(
        "okrgrid.kpi.measurements", "{measurement}", "KPI measurements committed to the journal.");

    /// <summary>Entries per journal commit: how well the writer batches (1 under light load, hundreds under a burst).</summary>
    public static readonly Histogram<int> JournalBatchSize = Meter.CreateHistogram<int>(
        "okrgrid.journal.batch.size", "{entry}", "Entries in one journal commit.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] });

    /// <summary>One journal commit, from sending the batch to PostgreSQL's answer; <c>outcome</c> is ok or error.</summary>
    public static readonly Histogram<double> JournalCommitDuration = Meter.CreateHistogram<double>(
        "okrgrid.journal.commit.duration", "s", "Time of one journal commit (one statement, one transaction).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5] });

    /// <summary>
    /// Node changes published by this silo and not yet handed to every change-feed observer: those waiting for the
    /// next flush (15 ms), plus, per observer, those waiting for its delivery. Growing means a web host cannot keep up.
    /// </summary>
    public static readonly UpDownCounter<long> FeedBacklog = Meter.CreateUpDownCounter<long>(
        "okrgrid.feed.backlog", "{change}", "Node changes published and not yet delivered to each change-feed observer.");

    /// <summary>Boundaries for latencies from milliseconds to ten seconds.</summary>
    public static readonly IReadOnlyList<double> LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public static readonly KeyValuePair<string, object?> OutcomeOk = new("outcome", "ok");
    public static readonly KeyValuePair<string, object?> OutcomeError = new("outcome", "error");
}
