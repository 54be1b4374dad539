namespace Chat.RagService.Documents;

public enum DocumentStatus { Queued, Extracting, Embedding, Ready, Failed }

/// <summary>An uploaded file as the RAG service sees it (one per file id).</summary>
public sealed class Document
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required Guid FileId { get; init; }
    public Guid OwnerId { get; set; }
    public required string Name { get; set; }
    public string ContentType { get; set; } = "";
    public string Sha256 { get; set; } = "";
    public DocumentStatus Status { get; set; } = DocumentStatus.Queued;
    public string? FailureReason { get; set; }

    /// <summary>Embedding model and version the chunks were made with; a different configured model re-embeds.</summary>
    public string? Model { get; set; }

    public int ChunkCount { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>When the chunks were last replaced; replicas reload a document's vectors when it changes.</summary>
    public DateTimeOffset? IndexedAt { get; set; }
}

public sealed record DocumentStatusDto(Guid Id, Guid FileId, string Name, string Status, string? FailureReason, int ChunkCount, string? Model)
{
    public static DocumentStatusDto From(Document d) =>
        new(d.Id, d.FileId, d.Name, d.Status.ToString().ToLowerInvariant(), d.FailureReason, d.ChunkCount, d.Model);
}
