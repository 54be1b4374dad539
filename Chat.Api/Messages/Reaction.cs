namespace Chat.Api.Messages;

public sealed class Reaction
{
    public const int MaxEmojiLength = 32;

    public required Guid MessageId { get; init; }
    public required Guid UserId { get; init; }
    public required string Emoji { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
