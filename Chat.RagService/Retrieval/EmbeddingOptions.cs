using System.ComponentModel.DataAnnotations;

namespace Chat.RagService.Retrieval;

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
