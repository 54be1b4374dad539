using Microsoft.Extensions.AI;

namespace Chat.RagService.Retrieval;

/// <summary>
/// Loads the built-in embedding model and runs it once before the service starts listening, so the first upload and the
/// first search do not pay for loading the model (seconds on 2 cores). Remote providers are not called: a call costs
/// money there and the provider may be down at start. The warm-up bypasses the telemetry wrapper: it is not a user's work.
/// </summary>
public sealed class ModelWarmup(IEmbeddingGenerator<string, Embedding<float>> embedder) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (embedder.GetService<MiniLmEmbeddingGenerator>() is { } model)
        {
            // One short request (the query session) and one long one (every ingestion session).
            var sentence = "Warm-up: the model reads one short sentence before the service takes requests.";
            await model.GenerateAsync([sentence], cancellationToken: cancellationToken);
            await model.GenerateAsync(Enumerable.Repeat(sentence, 4 * MiniLmEmbeddingGenerator.Workers), cancellationToken: cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
