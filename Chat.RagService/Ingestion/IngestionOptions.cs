using System.ComponentModel.DataAnnotations;
using ChatAspire.ServiceDefaults.Messaging;

namespace Chat.RagService.Ingestion;

/// <summary>Section <c>Rag:Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    public const string SectionName = "Rag:Ingestion";

    /// <summary>Word pieces of the embedding model's tokenizer per chunk (the model reads at most 254).</summary>
    [Range(32, 254)]
    public int ChunkTokens { get; set; } = 220;

    [Range(0, 120)]
    public int OverlapTokens { get; set; } = 40;

    /// <summary>Largest file ingestion downloads (Chat.Files accepts 25 MB by default); a larger one fails its document.</summary>
    [Range(1024, 4L * 1024 * 1024 * 1024)]
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Consumer-group settings for <c>files:events</c> (attempts before parking, idle time before reclaiming).</summary>
    public StreamConsumerOptions Stream { get; set; } = new();

    /// <summary>The stream to consume (Chat.Files publishes on <c>files:events</c>).</summary>
    [Required]
    public string StreamName { get; set; } = ChatAspire.Contracts.FileEvents.Stream;
}

/// <summary>Section <c>Rag:Embeddings</c>: which <c>IEmbeddingGenerator</c> makes the vectors.</summary>
public sealed class EmbeddingOptions
{
    public const string SectionName = "Rag:Embeddings";

    /// <summary><c>minilm</c> (built in, all-MiniLM-L6-v2 on ONNX Runtime), <c>ollama</c> or <c>openai</c>.</summary>
    [Required, RegularExpression("minilm|ollama|openai")]
    public string Provider { get; set; } = "minilm";

    /// <summary>Model for ollama/openai (e.g. <c>all-minilm</c>, <c>text-embedding-3-small</c>).</summary>
    public string? Model { get; set; }

    /// <summary>Endpoint for ollama (default http://localhost:11434) or an OpenAI-compatible server.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>API key for openai; an Aspire secret parameter in the AppHost.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Vector length the provider returns (384 for all-MiniLM-L6-v2).</summary>
    [Range(8, 8192)]
    public int Dimensions { get; set; } = 384;

    /// <summary>Recorded with every chunk; documents embedded with another model are re-embedded at start-up.</summary>
    public string ModelId => Provider == "minilm"
        ? $"minilm:{Retrieval.MiniLmEmbeddingGenerator.ModelName}@{Retrieval.MiniLmEmbeddingGenerator.ModelVersion}"
        : $"{Provider}:{Model}";
}
