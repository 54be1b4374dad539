namespace Chat.RagService.Documents;

/// <summary>Many file ids at once: <c>POST /api/rag/documents/status</c>.</summary>
public sealed record BulkStatusRequest(IReadOnlyList<Guid> FileIds);
