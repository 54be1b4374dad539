using OpenTelemetry.Trace;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// Root-span sampler: a new trace is kept with <see cref="ObservabilityOptions.TraceSamplingRatio"/>, except traces
/// that start at a high-volume operation, which are kept with <see cref="ObservabilityOptions.HighVolumeTraceSamplingRatio"/>:
/// a root span tagged <see cref="HighVolumeTag"/> (a group-commit batch), and a SignalR hub method call (ASP.NET Core's
/// <c>&lt;Hub&gt;/&lt;Method&gt;</c> server span, tagged <c>rpc.system = signalr</c>): one small operation on a long-lived
/// connection, such as a chat message, a typing signal or a read mark. Connecting and disconnecting keep the normal ratio.
/// A send that involves the assistant starts a trace of its own when its hub call was not kept (Chat.Api's MessageService).
/// A client span with no operation above it (a database or Redis call, an HTTP call) is never a trace of its own: it is
/// a background loop's poll (stream reads, outbox checks, presence heartbeats), which finds nothing almost every time.
/// Loops that find work start an operation span (<c>… process</c>, <c>message.batch</c>) or continue the producer's
/// trace, and their calls follow that parent. Used under a parent-based sampler, so a sampled parent is always followed.
/// High-volume traces are also capped at <see cref="ObservabilityOptions.HighVolumeTracesPerSecond"/> a second per process,
/// so that what tracing costs (spans made, exported and stored) stops growing with the load: at 2,400 messages a second
/// the ratio alone kept 24 traces a second, and the Aspire dashboard's CPU per message was 2.5 times what it is with
/// the cap (bench/results/chat-profile.md, "Telemetry, seventh look").
/// </summary>
/// <param name="ratio">Fraction of other new traces kept.</param>
/// <param name="highVolumeRatio">Fraction of high-volume traces kept.</param>
/// <param name="highVolumePerSecond">At most this many high-volume traces a second (evenly spaced); 0: no cap.</param>
/// <param name="clock">The clock of the cap (tests pass a fake one).</param>
public sealed class VolumeAwareSampler(double ratio, double highVolumeRatio, double highVolumePerSecond = 0, TimeProvider? clock = null) : Sampler
{
    /// <summary>Tag a root span with this (value <c>true</c>) at creation to sample it as high-volume traffic.</summary>
    public const string HighVolumeTag = "sampling.high_volume";

    /// <summary>The tags to start a high-volume root span with.</summary>
    public static readonly KeyValuePair<string, object?>[] HighVolumeTags = [new(HighVolumeTag, true)];

    private readonly TraceIdRatioBasedSampler _normal = new(ratio);
    private readonly TraceIdRatioBasedSampler _highVolume = new(highVolumeRatio);
    private static readonly SamplingResult Idle = new(SamplingDecision.Drop);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    /// <summary>Clock ticks between two kept high-volume traces; 0 when there is no cap.</summary>
    private readonly long _spacing = highVolumePerSecond > 0
        ? (long)Math.Ceiling((clock ?? TimeProvider.System).TimestampFrequency / highVolumePerSecond)
        : 0;
    /// <summary>The earliest clock timestamp at which the next high-volume trace may be kept.</summary>
    private long _nextSlot = long.MinValue;

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        if (samplingParameters.Kind == System.Diagnostics.ActivityKind.Client)
        {
            return Idle;
        }
        if (!IsHighVolume(samplingParameters.Tags))
        {
            return _normal.ShouldSample(samplingParameters);
        }
        var decision = _highVolume.ShouldSample(samplingParameters);
        return decision.Decision == SamplingDecision.Drop || TakeSlot() ? decision : Idle;
    }

    /// <summary>
    /// One slot of the cap, or false when the last one was taken less than one spacing ago (a single compare-and-swap:
    /// it runs on every sampled hub call. System.Threading.RateLimiting's token bucket would add a lease per call and a
    /// replenishment timer that wakes an idle process, and it does not take a <see cref="TimeProvider"/> to test it with).
    /// </summary>
    private bool TakeSlot()
    {
        if (_spacing == 0)
        {
            return true;
        }
        var now = _clock.GetTimestamp();
        while (true)
        {
            var slot = Volatile.Read(ref _nextSlot);
            if (slot > now)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _nextSlot, now + _spacing, slot) == slot)
            {
                return true;
            }
        }
    }

    private static bool IsHighVolume(IEnumerable<KeyValuePair<string, object?>>? tags)
    {
        if (tags is null)
        {
            return false;
        }
        var hubCall = false;
        string? method = null;
        foreach (var tag in tags)
        {
            switch (tag.Key)
            {
                case HighVolumeTag when tag.Value is true:
                    return true;
                case "rpc.system" when tag.Value is "signalr":
                    hubCall = true;
                    break;
                case "rpc.method":
                    method = tag.Value as string;
                    break;
            }
        }
        return hubCall && method is not ("OnConnectedAsync" or "OnDisconnectedAsync");
    }
}
