namespace Chat.Api.Messages;

/// <summary>
/// A text a message had before an edit: what readers see behind "(edited)". Kept while the message is; deleting the
/// message deletes its earlier texts too, so deleted text is never a click away.
/// </summary>
public sealed class MessageEdit
{
    public long Id { get; init; }
    public required Guid MessageId { get; init; }

    /// <summary>The text as it was before the edit.</summary>
    public required string Content { get; init; }

    /// <summary>When that text was written (the message's creation, or the edit before this one).</summary>
    public required DateTimeOffset WrittenAt { get; init; }

    /// <summary>When the edit replaced it.</summary>
    public required DateTimeOffset ReplacedAt { get; init; }
}

/// <summary>An earlier text of a message, oldest first in <see cref="MessageHistoryDto"/>.</summary>
public sealed record MessageVersionDto(string Content, DateTimeOffset WrittenAt, DateTimeOffset ReplacedAt);

/// <summary>A message's earlier texts, oldest first; the current text is the message itself.</summary>
public sealed record MessageHistoryDto(Guid MessageId, IReadOnlyList<MessageVersionDto> Versions);
