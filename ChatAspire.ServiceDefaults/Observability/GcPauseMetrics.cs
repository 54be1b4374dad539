using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// Every garbage-collection pause, from the runtime's own GC events (the suspension of managed threads to their
/// restart): <c>gc_pause_duration_seconds</c> (histogram) and <c>gc_pause_max_seconds</c> (the longest since start).
/// The runtime's metrics only give the total pause time (<c>dotnet_gc_pause_time_seconds_total</c>), which cannot tell
/// one 200 ms stall from forty 5 ms pauses. GC events at the Informational level are a few per collection.
/// </summary>
public sealed class GcPauseMetrics : EventListener
{
    public const string MeterName = "ChatAspire.Runtime";
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int SuspendBegin = 9; // GCSuspendEEBegin_V1
    private const int RestartEnd = 3; // GCRestartEEEnd_V1

    private readonly Histogram<double>? _pauses;
    private long _suspendedAt;
    private long _maxTicks;

    public GcPauseMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _pauses = meter.CreateHistogram("gc_pause_duration", "s", "Garbage-collection pauses (managed threads suspended), from the runtime's GC events.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2] });
        meter.CreateObservableGauge("gc_pause_max", () => TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks)).TotalSeconds, "s",
            "The longest garbage-collection pause since the process started.");
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        switch (e.EventId)
        {
            case SuspendBegin:
                // The events' own time stamps: the runtime hands its events to listeners on a dispatch thread, later.
                Interlocked.Exchange(ref _suspendedAt, e.TimeStamp.Ticks);
                break;
            case RestartEnd when Interlocked.Exchange(ref _suspendedAt, 0) is var start and > 0:
                var ticks = e.TimeStamp.Ticks - start;
                if (ticks < 0)
                {
                    break;
                }
                _pauses?.Record(TimeSpan.FromTicks(ticks).TotalSeconds);
                long max;
                while (ticks > (max = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, ticks, max) != max)
                {
                }
                break;
        }
    }
}
