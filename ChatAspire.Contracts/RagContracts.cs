namespace ChatAspire.Contracts;

/// <summary>
/// <c>POST /api/rag/search</c> on Chat.RagService. Without <c>FileIds</c> or <c>ChannelId</c> it searches every file the
/// caller may read. <c>Mode</c> <see cref="RagSearchModes.Documents"/> (the default): <c>TopK</c> documents, each its best
/// chunk with its other matching chunks attached; <see cref="RagSearchModes.Chunks"/>: the <c>TopK</c> best chunks, for
/// callers that put passages into a prompt.
/// </summary>
public sealed record RagSearchRequest(string Query, IReadOnlyList<Guid>? FileIds = null, Guid? ChannelId = null, int TopK = 5, string? Mode = null);

public static class RagSearchModes
{
    public const string Documents = "documents";
    public const string Chunks = "chunks";
}

/// <summary>
/// One retrieved chunk with everything a citation needs. In documents mode, the document's best chunk, with the
/// document's other matching chunks (best first) in <c>OtherChunks</c>.
/// </summary>
public sealed record RagHit(Guid ChunkId, Guid DocumentId, Guid FileId, string FileName, string Text, double Score, int? Page, string? Heading,
    IReadOnlyList<RagChunk>? OtherChunks = null);

/// <summary>Another matching chunk of a document in a documents-mode hit.</summary>
public sealed record RagChunk(Guid ChunkId, string Text, double Score, int? Page, string? Heading);

public sealed record RagSearchResponse(IReadOnlyList<RagHit> Hits);

/// <summary>Ingestion progress of one document, published on <see cref="Stream"/> as it changes.</summary>
public sealed record DocumentStatusChanged(Guid DocumentId, Guid FileId, Guid OwnerId, string Name, string Status, string? Reason)
{
    public const string Stream = "rag:events";
}
