using OpenTelemetry.Trace;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>
/// Root-span sampler: a new trace is kept with <see cref="ObservabilityOptions.TraceSamplingRatio"/>, except traces
/// that start at a high-volume operation (a root span tagged <see cref="HighVolumeTag"/>, such as a plain chat message
/// sent over the hub, or a client span with no parent, such as a batch write or a stream poll), which are kept with
/// <see cref="ObservabilityOptions.HighVolumeTraceSamplingRatio"/>. Used under
/// a parent-based sampler, so a sampled parent is always followed.
/// </summary>
public sealed class VolumeAwareSampler(double ratio, double highVolumeRatio) : Sampler
{
    /// <summary>Tag a root span with this (value <c>true</c>) at creation to sample it as high-volume traffic.</summary>
    public const string HighVolumeTag = "sampling.high_volume";

    private readonly TraceIdRatioBasedSampler _normal = new(ratio);
    private readonly TraceIdRatioBasedSampler _highVolume = new(highVolumeRatio);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        // A client call (database, Redis, HTTP) with no operation above it is background work: the group-commit writer's
        // batches, stream polls, the outbox. Hundreds a second under load, several a second when idle: high-volume.
        if (samplingParameters.Kind == System.Diagnostics.ActivityKind.Client)
        {
            return _highVolume.ShouldSample(samplingParameters);
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
