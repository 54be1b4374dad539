using System.ComponentModel.DataAnnotations;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>Observability settings shared by every service (section <c>Observability</c>).</summary>
public sealed class ObservabilityOptions
{
    public const string SectionName = "Observability";

    /// <summary>Requests slower than this log a <c>slow_request</c> warning.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SlowRequestThreshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Database commands slower than this log a <c>slow_query</c> warning.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SlowQueryThreshold { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Fraction of new traces recorded (parent-based: a sampled parent is always followed).</summary>
    [Range(0.0, 1.0)]
    public double TraceSamplingRatio { get; set; } = 1.0;

    /// <summary>
    /// Fraction of new traces recorded that start at a high-volume operation: a plain chat message sent over the hub.
    /// Sends that involve the assistant, and sends over REST (which follow their request), are not high-volume.
    /// </summary>
    [Range(0.0, 1.0)]
    public double HighVolumeTraceSamplingRatio { get; set; } = 0.01;

    /// <summary>
    /// At most this many of those high-volume traces a second per process, after the ratio (0: no cap), so that tracing's
    /// cost stops growing with the load. At low load the ratio decides alone.
    /// </summary>
    [Range(0.0, 1_000_000.0)]
    public double HighVolumeTracesPerSecond { get; set; } = 1;

    /// <summary>
    /// Development switch: record query-string values in spans (<c>url.query</c>, <c>url.full</c>). Off, a span keeps the
    /// parameter names only (<c>q=REDACTED&amp;limit=REDACTED</c>): queries carry search terms and hub tokens.
    /// </summary>
    public bool RecordQueryStrings { get; set; }

    /// <summary>
    /// Folders whose filesystems are reported (<c>disk_available_bytes</c>, <c>disk_size_bytes</c>, label <c>path</c>) and
    /// watched by the <c>DiskSpaceLow</c> alert, besides the service's own folder: where its data lives (Chat.Files adds
    /// its upload store itself; the AppHost adds the Postgres data folder in local-process mode).
    /// </summary>
    public List<string> DiskPaths { get; set; } = [];

    /// <summary>Development switch: put prompt and message text into telemetry. Never on in production.</summary>
    public bool EnableSensitiveData { get; set; }
}
