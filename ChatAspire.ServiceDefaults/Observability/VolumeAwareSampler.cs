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
/// </summary>
public sealed class VolumeAwareSampler(double ratio, double highVolumeRatio) : Sampler
{
    /// <summary>Tag a root span with this (value <c>true</c>) at creation to sample it as high-volume traffic.</summary>
    public const string HighVolumeTag = "sampling.high_volume";

    /// <summary>The tags to start a high-volume root span with.</summary>
    public static readonly KeyValuePair<string, object?>[] HighVolumeTags = [new(HighVolumeTag, true)];

    private readonly TraceIdRatioBasedSampler _normal = new(ratio);
    private readonly TraceIdRatioBasedSampler _highVolume = new(highVolumeRatio);
    private static readonly SamplingResult Idle = new(SamplingDecision.Drop);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        if (samplingParameters.Kind == System.Diagnostics.ActivityKind.Client)
        {
            return Idle;
        }
        return IsHighVolume(samplingParameters.Tags) ? _highVolume.ShouldSample(samplingParameters) : _normal.ShouldSample(samplingParameters);
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
