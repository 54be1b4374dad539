using System.Diagnostics.Metrics;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// The classic Prometheus process metrics (<c>process_cpu_seconds_total</c>, <c>process_resident_memory_bytes</c>,
/// <c>process_open_fds</c>) that alerts and dashboards expect, beside OpenTelemetry's own process metrics.
/// </summary>
public sealed class ProcessMetrics
{
    public const string MeterName = "ChatAspire.Process";

    private readonly string[] _diskPaths;

    public ProcessMetrics(IMeterFactory meterFactory, Microsoft.Extensions.Options.IOptions<ObservabilityOptions> options)
    {
        _diskPaths = [.. new[] { AppContext.BaseDirectory }.Concat(options.Value.DiskPaths)
            .Select(p => Path.GetFullPath(p).TrimEnd('/')).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal)];
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("process_cpu_seconds", () => Environment.CpuUsage.TotalTime.TotalSeconds, "s",
            "Total user and system CPU time spent in seconds.");
        meter.CreateObservableGauge("process_resident_memory_bytes", () => Environment.WorkingSet, "By",
            "Resident memory size in bytes.");
        meter.CreateObservableGauge("process_open_fds", OpenFileDescriptors, description: "Number of open file descriptors.");
        // The memory the runtime may use: the container's cgroup limit when there is one, physical memory otherwise.
        meter.CreateObservableGauge("process_memory_limit_bytes", () => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, "By",
            "Memory available to this process (cgroup limit or physical memory).");
        meter.CreateObservableGauge("disk_available_bytes", () => Disk(d => d.AvailableFreeSpace), "By",
            "Free space available to this process on the filesystem of each watched folder (its own, and Observability:DiskPaths).");
        meter.CreateObservableGauge("disk_size_bytes", () => Disk(d => d.TotalSize), "By",
            "Size of the filesystem of each watched folder.");
    }

    private IEnumerable<Measurement<long>> Disk(Func<DriveInfo, long> read)
    {
        foreach (var directory in _diskPaths)
        {
            long value;
            try
            {
                value = read(new DriveInfo(directory));
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
            {
                continue; // not there (yet): nothing to report
            }
            yield return new Measurement<long>(value, new KeyValuePair<string, object?>("path", directory));
        }
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
            // One entry per open descriptor in both /proc/self/fd and /proc/self/fdinfo. The fd entries are symbolic links,
            // which the enumerator stats one by one (lstat and stat each); fdinfo's are plain files and need no call at all.
            // Profiled under the chat bench, counting /proc/self/fd was most of Chat.Api's metric collection; fdinfo is
            // about 30 times cheaper (2.5 ms against 0.09 ms for 350 descriptors).
            count = Directory.EnumerateFileSystemEntries("/proc/self/fdinfo").LongCount();
        }
        catch (IOException)
        {
            yield break;
        }
        yield return new Measurement<long>(count);
    }
}
