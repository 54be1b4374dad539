namespace ChatAspire.Contracts;

/// <summary>Chat.Files publishes these on the Redis stream <see cref="FileEvents.Stream"/>; Chat.RagService consumes them.</summary>
public static class FileEvents
{
    public const string Stream = "files:events";
    public const string Uploaded = nameof(FileUploaded);
    public const string Deleted = nameof(FileDeleted);
}

public sealed record FileUploaded(Guid FileId, Guid OwnerId, string Name, string ContentType, long Size, string Sha256);

public sealed record FileDeleted(Guid FileId, Guid OwnerId, string Sha256);
