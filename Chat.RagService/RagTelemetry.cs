using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chat.RagService;

/// <summary>Chat.RagService's activity source (<c>rag.ingest</c>, <c>rag.retrieve</c>) and its metrics.</summary>
public sealed class RagTelemetry
{
    public const string Name = "ChatAspire.Chat.RagService";

    public static readonly ActivitySource Source = new(Name);

    private static readonly double[] QueryBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];
    private static readonly double[] StageBuckets = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800];

    private readonly Counter<long> _queries;
    private readonly Histogram<double> _queryDuration;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly Counter<long> _documents;
    private readonly Counter<long> _chunks;
    private readonly Histogram<double> _stageDuration;

    public RagTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _queries = meter.CreateCounter<long>("rag_queries", description: "Searches by outcome (ok, cached, invalid, error).");
        _queryDuration = meter.CreateHistogram("rag_query_duration_seconds", "s", "Search duration, cache hits included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = QueryBuckets });
        _cacheHits = meter.CreateCounter<long>("cache_hits", description: "Cache lookups answered from the cache, by cache.");
        _cacheMisses = meter.CreateCounter<long>("cache_misses", description: "Cache lookups that had to load, by cache.");
        _documents = meter.CreateCounter<long>("rag_ingest_documents", description: "Ingested documents by outcome (ready, failed, unchanged, skipped, deleted).");
        _chunks = meter.CreateCounter<long>("rag_ingest_chunks", description: "Chunks embedded and stored.");
        _stageDuration = meter.CreateHistogram("rag_ingest_stage_duration_seconds", "s", "Time per ingestion stage (fetch, extract, chunk, embed, store).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StageBuckets });
    }

    public void Query(string outcome, TimeSpan elapsed)
    {
        _queries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _queryDuration.Record(elapsed.TotalSeconds);
    }

    public void Cache(string cache, bool hit) =>
        (hit ? _cacheHits : _cacheMisses).Add(1, new KeyValuePair<string, object?>("cache", cache));

    public void Document(string outcome) => _documents.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Chunks(int count) => _chunks.Add(count);

    public void Stage(string stage, TimeSpan elapsed) => _stageDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
}
