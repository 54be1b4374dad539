namespace Chat.RagService.Documents;

/// <summary>The documents found (files unknown, not yours, or not text are left out).</summary>
public sealed record BulkStatusResponse(IReadOnlyList<DocumentStatusDto> Documents);
