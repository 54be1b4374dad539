using System.ComponentModel.DataAnnotations;
using ChatAspire.Messaging;

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

    /// <summary>
    /// Consumer-group settings for <c>files:events</c> (attempts before parking, idle time before reclaiming). Two files are
    /// ingested at a time (events about one file stay in order), so one is fetched, extracted and stored while the other
    /// runs the model (whose sessions are shared: see <see cref="Retrieval.MiniLmEmbeddingGenerator"/>).
    /// </summary>
    public StreamConsumerOptions Stream { get; set; } = new() { Concurrency = 2 };

    /// <summary>The stream to consume (Chat.Files publishes on <c>files:events</c>).</summary>
    [Required]
    public string StreamName { get; set; } = ChatAspire.Contracts.FileEvents.Stream;
}
