using OpenTelemetry.Trace;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// Root-span sampler: a new trace is kept with <see cref="ObservabilityOptions.TraceSamplingRatio"/>, except traces
/// that start at a high-volume operation (a root span tagged <see cref="HighVolumeTag"/>, such as a plain chat message
/// sent over the hub or a group-commit batch), which are kept with <see cref="ObservabilityOptions.HighVolumeTraceSamplingRatio"/>.
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
        if (samplingParameters.Tags is { } tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == HighVolumeTag && tag.Value is true)
                {
                    return _highVolume.ShouldSample(samplingParameters);
                }
            }
        }
        return _normal.ShouldSample(samplingParameters);
    }
}
