namespace Chat.Api.Attachments;

/// <summary>
/// A file as Chat.Api knows it from <c>files:events</c> (Chat.Files owns the bytes and the metadata): enough to decide
/// attachments locally. A deleted file keeps its row with <see cref="DeletedAt"/>, so a late, retried upload event
/// cannot bring it back.
/// </summary>
public sealed class KnownFile
{
    public const int MaxNameLength = 255;

    public required Guid Id { get; init; }
    public required Guid OwnerId { get; init; }
    public required string Name { get; init; }
    public required string ContentType { get; init; }
    public long Size { get; init; }
    public DateTimeOffset? DeletedAt { get; set; }
}
