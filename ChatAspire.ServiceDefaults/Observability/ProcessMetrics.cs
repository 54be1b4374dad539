using System.Diagnostics.Metrics;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// The classic Prometheus process metrics (<c>process_cpu_seconds_total</c>, <c>process_resident_memory_bytes</c>,
/// <c>process_open_fds</c>) that alerts and dashboards expect, beside OpenTelemetry's own process metrics.
/// </summary>
public sealed class ProcessMetrics
{
    public const string MeterName = "ChatAspire.Process";

    public ProcessMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("process_cpu_seconds", () => Environment.CpuUsage.TotalTime.TotalSeconds, "s",
            "Total user and system CPU time spent in seconds.");
        meter.CreateObservableGauge("process_resident_memory_bytes", () => Environment.WorkingSet, "By",
            "Resident memory size in bytes.");
        meter.CreateObservableGauge("process_open_fds", OpenFileDescriptors, description: "Number of open file descriptors.");
    }

    private static IEnumerable<Measurement<long>> OpenFileDescriptors()
    {
        if (!OperatingSystem.IsLinux())
        {
            yield break;
        }
        long count;
        try
        {
            count = Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        }
        catch (IOException)
        {
            yield break;
        }
        yield return new Measurement<long>(count);
    }
}
