namespace Chat.Files.Storage;

/// <summary>Metadata of one uploaded file. The blob is stored under its SHA-256.</summary>
public sealed class StoredFile
{
    public const int MaxNameLength = 255;

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required Guid OwnerId { get; init; }
    public required string Name { get; init; }
    public required string ContentType { get; init; }
    public required long Size { get; init; }
    public required string Sha256 { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

public sealed record FileMetadata(Guid Id, Guid OwnerId, string Name, string ContentType, long Size, string Sha256, DateTimeOffset CreatedAt)
{
    public static FileMetadata From(StoredFile f) => new(f.Id, f.OwnerId, f.Name, f.ContentType, f.Size, f.Sha256, f.CreatedAt);
}
