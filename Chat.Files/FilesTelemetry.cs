using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chat.Files;

/// <summary>Chat.Files' activity source and the seed guide's upload metrics.</summary>
public sealed class FilesTelemetry
{
    public const string Name = "ChatAspire.Chat.Files";

    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _uploads;
    private readonly Histogram<long> _uploadSize;

    public FilesTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _uploads = meter.CreateCounter<long>("file_uploads", description: "Uploads by result: accepted, or rejected_<reason>.");
        _uploadSize = meter.CreateHistogram("file_upload_size_bytes", "By", "Size of accepted uploads.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1_000, 10_000, 100_000, 1_000_000, 5_000_000, 10_000_000, 25_000_000, 100_000_000] });
    }

    public void Accepted(long size)
    {
        _uploads.Add(1, new KeyValuePair<string, object?>("result", "accepted"));
        _uploadSize.Record(size);
    }

    public void Rejected(string reason) => _uploads.Add(1, new KeyValuePair<string, object?>("result", $"rejected_{reason}"));
}
