using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>The seed guide's HTTP metrics, labelled by route template so cardinality stays bounded.</summary>
public sealed class HttpMetrics
{
    public const string MeterName = "ChatAspire.Http";

    // Seconds buckets: the OpenTelemetry default buckets are meant for milliseconds.
    internal static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
    private static readonly long[] SizeBuckets = [0, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _requestSize;
    private readonly Histogram<long> _responseSize;
    private readonly Histogram<double> _sessionDuration;

    // Sessions last from seconds to a working day.
    internal static readonly double[] SessionBuckets = [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400];

    public HttpMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("http_requests", description: "HTTP requests by method, route template and status code.");
        _duration = meter.CreateHistogram("http_request_duration_seconds", "s", "HTTP request duration.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _requestSize = meter.CreateHistogram("http_request_size_bytes", "By", "HTTP request body size.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });
        _responseSize = meter.CreateHistogram("http_response_size_bytes", "By", "HTTP response body size.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });
        _sessionDuration = meter.CreateHistogram("websocket_session_duration_seconds", "s",
            "Duration of real-time sessions (WebSocket, server-sent events, long polling), by transport and how they ended.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SessionBuckets });
    }

    /// <summary>
    /// A long-lived request (upgraded to a WebSocket, an event stream, a long poll) is a session, not a slow request: it goes
    /// here and nowhere near the request metrics. <paramref name="outcome"/>: <c>closed</c> (ended by either side),
    /// <c>aborted</c> (the connection was lost: see <see cref="SessionOutcomeFeature"/>) or <c>error</c> (the server failed).
    /// </summary>
    public void RecordSession(string transport, string outcome, double seconds) =>
        _sessionDuration.Record(seconds, new TagList { { "transport", transport }, { "outcome", outcome } });

    private static readonly System.Collections.Frozen.FrozenSet<string> KnownMethods =
        System.Collections.Frozen.FrozenSet.ToFrozenSet(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "QUERY"], StringComparer.Ordinal);

    /// <summary>
    /// The <c>method</c> label: a standard method, or <c>_OTHER</c> for anything a client invents (<c>SECPROBE123</c>),
    /// as the OpenTelemetry HTTP conventions say, so anonymous requests cannot create series.
    /// </summary>
    public static string MethodLabel(string method) => KnownMethods.TryGetValue(method, out var known) ? known : "_OTHER";

    public void Record(string method, string endpoint, int status, double seconds, long requestBytes, long responseBytes)
    {
        var tags = new TagList { { "method", MethodLabel(method) }, { "endpoint", endpoint }, { "status", status.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        _requests.Add(1, tags);
        _duration.Record(seconds, tags);
        _requestSize.Record(requestBytes, tags);
        _responseSize.Record(responseBytes, tags);
    }
}
