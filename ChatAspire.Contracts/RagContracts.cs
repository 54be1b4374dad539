namespace ChatAspire.Contracts;

/// <summary><c>POST /api/rag/search</c> on Chat.RagService. Without <c>FileIds</c> or <c>ChannelId</c> it searches every file the caller may read.</summary>
public sealed record RagSearchRequest(string Query, IReadOnlyList<Guid>? FileIds = null, Guid? ChannelId = null, int TopK = 5);

/// <summary>One retrieved chunk with everything a citation needs.</summary>
public sealed record RagHit(Guid ChunkId, Guid DocumentId, Guid FileId, string FileName, string Text, double Score, int? Page, string? Heading);

public sealed record RagSearchResponse(IReadOnlyList<RagHit> Hits);

/// <summary>Ingestion progress of one document, published on <see cref="Stream"/> as it changes.</summary>
public sealed record DocumentStatusChanged(Guid DocumentId, Guid FileId, Guid OwnerId, string Name, string Status, string? Reason)
{
    public const string Stream = "rag:events";
}
