namespace Chat.RagService.Documents;

public enum DocumentStatus { Queued, Extracting, Embedding, Ready, Failed }

/// <summary>An uploaded file as the RAG service sees it.</summary>
public sealed class Document
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required Guid FileId { get; init; }
    public required string Name { get; init; }
    public DocumentStatus Status { get; set; } = DocumentStatus.Queued;
    public string? FailureReason { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

public sealed record DocumentStatusDto(Guid Id, Guid FileId, string Name, string Status, string? FailureReason);
