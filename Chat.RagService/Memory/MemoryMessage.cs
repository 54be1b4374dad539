namespace Chat.RagService.Memory;

/// <summary>
/// A message as the memory index knows it (table <c>memory_messages</c>): its latest text, or a tombstone once it was
/// deleted. <see cref="Revision"/> numbers every change in commit order, so each replica brings its in-memory index up
/// to date by reading the rows after the last revision it applied.
/// </summary>
public sealed class MemoryMessage
{
    public required Guid Id { get; init; }
    public required Guid ChannelId { get; init; }
    public long Seq { get; set; }
    public Guid SenderId { get; set; }

    /// <summary>The sender's display name when the message was written (a bot's or webhook's own name).</summary>
    [System.ComponentModel.DataAnnotations.MaxLength(100)]
    public string SenderName { get; set; } = "";
    public Guid? ReplyToId { get; set; }
    public string Text { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the text last changed in Chat.Api (sent, edited, deleted): an older event never overwrites a newer one.</summary>
    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>Deleted (by a person or by retention): no text, no chunks, and no later event brings it back.</summary>
    public bool Removed { get; set; }

    public long Revision { get; set; }
}

/// <summary>A piece of a message's text with its embedding (table <c>memory_chunks</c>); most messages are one chunk.</summary>
public sealed class MemoryChunk
{
    public required Guid Id { get; init; }
    public required Guid MessageId { get; init; }
    public int Ordinal { get; init; }
    public required string Text { get; init; }
    public required float[] Embedding { get; init; }
}
