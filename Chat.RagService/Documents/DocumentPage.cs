namespace Chat.RagService.Documents;

/// <summary>A page of my documents, oldest first; <c>Next</c> is the <c>after</c> of the next page, null on the last.</summary>
public sealed record DocumentPage(IReadOnlyList<DocumentStatusDto> Documents, Guid? Next);
