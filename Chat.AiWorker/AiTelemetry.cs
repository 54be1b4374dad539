using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chat.AiWorker;

/// <summary>Chat.AiWorker's activity source (<c>ai_request</c>, <c>ai.retrieve</c>) and the seed guide's AI metrics.</summary>
public sealed class AiTelemetry
{
    public const string Name = "ChatAspire.Chat.AiWorker";

    public static readonly ActivitySource Source = new(Name);

    private static readonly double[] ResponseBuckets = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
    private static readonly double[] FirstTokenBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60];

    private readonly Counter<long> _requests;
    private readonly Counter<long> _modelUsage;
    private readonly Histogram<double> _responseDuration;
    private readonly Histogram<double> _firstToken;

    public AiTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _requests = meter.CreateCounter<long>("ai_requests", description: "Assistant requests by provider, model and outcome (completed, cancelled, failed).");
        _modelUsage = meter.CreateCounter<long>("ai_model_usage", description: "Calls to a model, by provider and model.");
        _responseDuration = meter.CreateHistogram("ai_response_duration_seconds", "s", "Time from starting generation to the last token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ResponseBuckets });
        _firstToken = meter.CreateHistogram("ai_time_to_first_token_seconds", "s", "Time from starting generation to the first streamed token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstTokenBuckets });
        meter.CreateObservableGauge("ai_queue_depth", () => QueueDepth, description: "Assistant jobs waiting or in progress (stream lag + pending).");
        meter.CreateObservableGauge("ai_queue_oldest_job_age_seconds", () => OldestJobAge, "s", "Age of the oldest job waiting or in progress.");
    }

    public long QueueDepth { get; set; }
    public double OldestJobAge { get; set; }

    public void ModelCalled(string provider, string model) => _modelUsage.Add(1, Tags(provider, model));

    public void FirstToken(string provider, string model, TimeSpan elapsed) => _firstToken.Record(elapsed.TotalSeconds, Tags(provider, model));

    public void Finished(string provider, string model, string outcome, TimeSpan elapsed)
    {
        _requests.Add(1, [new("provider", provider), new("model", model), new("outcome", outcome)]);
        if (outcome != "failed")
        {
            _responseDuration.Record(elapsed.TotalSeconds, Tags(provider, model));
        }
    }

    private static TagList Tags(string provider, string model) => new() { { "provider", provider }, { "model", model } };
}
