namespace Chat.RagService.Documents;

/// <summary>
/// A piece of a file's content as it is searched and cited. Chunks belong to the content (its SHA-256), not to a
/// document: identical bytes uploaded twice are chunked and embedded once, and each document points at them.
/// </summary>
public sealed class Chunk
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Sha256 { get; init; }
    public required int Ordinal { get; init; }
    public required string Text { get; init; }
    public required int Tokens { get; init; }
    public int? Page { get; init; }
    public string? Heading { get; init; }

    /// <summary>Unit-length embedding (Postgres <c>real[]</c>); searched exactly in memory with SIMD.</summary>
    public required float[] Embedding { get; init; }

    /// <summary>Embedding model and version, so a model change can trigger re-embedding.</summary>
    public required string Model { get; init; }
}

/// <summary>The vector index keys content by a Guid made from the first half of its SHA-256.</summary>
public static class ContentKey
{
    public static Guid Of(string sha256) => new(Convert.FromHexString(sha256.AsSpan(0, 32)));
}
