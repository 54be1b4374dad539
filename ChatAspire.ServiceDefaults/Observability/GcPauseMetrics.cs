using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// Every garbage-collection pause, from the runtime's own GC events (the suspension of managed threads to their
/// restart): <c>gc_pause_duration_seconds</c> (histogram) and <c>gc_pause_max_seconds</c> (the longest since start).
/// The runtime's metrics only give the total pause time (<c>dotnet_gc_pause_time_seconds_total</c>), which cannot tell
/// one 200 ms stall from forty 5 ms pauses. GC events at the Informational level are a few per collection.
/// Each pause carries the deepest generation collected in it (<c>gc_generation</c>: 0, 1, 2) and the kind of the
/// collection (<c>gc_kind</c>: blocking, background, or foreground: an ephemeral collection during a background one),
/// from the GCStart events between suspension and restart; a pause without one (a suspension for another reason) is
/// <c>gc_generation="none"</c>. Both labels are bounded.
/// </summary>
public sealed class GcPauseMetrics : EventListener
{
    public const string MeterName = "ChatAspire.Runtime";
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int SuspendBegin = 9; // GCSuspendEEBegin_V1
    private const int RestartEnd = 3; // GCRestartEEEnd_V1
    private const int SuspendEnd = 8; // GCSuspendEEEnd_V1: every managed thread has stopped
    private const int GcStart = 1; // GCStart_V2: Count, Depth, Reason, Type, ...
    private static readonly string[] Generations = ["0", "1", "2"];
    private static readonly string[] Kinds = ["blocking", "background", "foreground"];

    private readonly Histogram<double>? _pauses;
    private readonly Histogram<double>? _suspensions;
    private long _suspendedAt;
    private int _depth = -1;
    private int _kind;
    private long _maxTicks;

    public GcPauseMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _pauses = meter.CreateHistogram("gc_pause_duration", "s", "Garbage-collection pauses (managed threads suspended), from the runtime's GC events.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2] });
        _suspensions = meter.CreateHistogram("gc_suspension_duration", "s",
            "The first part of each pause: from the collector's request until every managed thread has stopped. Long when threads wait for a core.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1] });
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
                _depth = -1;
                _kind = 0;
                break;
            case SuspendEnd when Interlocked.Read(ref _suspendedAt) is var began and > 0 && e.TimeStamp.Ticks >= began:
                _suspensions?.Record(TimeSpan.FromTicks(e.TimeStamp.Ticks - began).TotalSeconds);
                break;
            case GcStart when e.Payload is { Count: > 3 } payload:
                // The runtime dispatches its events in order on one thread, so these fields need no lock.
                var depth = Convert.ToInt32(payload[1], System.Globalization.CultureInfo.InvariantCulture);
                if (depth > _depth)
                {
                    _depth = Math.Min(depth, Generations.Length - 1);
                    _kind = Math.Clamp(Convert.ToInt32(payload[3], System.Globalization.CultureInfo.InvariantCulture), 0, Kinds.Length - 1);
                }
                break;
            case RestartEnd when Interlocked.Exchange(ref _suspendedAt, 0) is var start and > 0:
                var ticks = e.TimeStamp.Ticks - start;
                if (ticks < 0)
                {
                    break;
                }
                _pauses?.Record(TimeSpan.FromTicks(ticks).TotalSeconds,
                    new KeyValuePair<string, object?>("gc_generation", _depth < 0 ? "none" : Generations[_depth]),
                    new KeyValuePair<string, object?>("gc_kind", _depth < 0 ? "none" : Kinds[_kind]));
                long max;
                while (ticks > (max = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, ticks, max) != max)
                {
                }
                break;
        }
    }
}
