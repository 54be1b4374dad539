namespace ChatAspire.Contracts;

/// <summary>
/// Chat.Api publishes what happens to message text on the Redis stream <see cref="Stream"/> (through its outbox, in the
/// transaction of the change); Chat.RagService consumes them to keep its message index (the team's memory) equal to the
/// messages people can still read. Every event names its channel, and events of one channel are handled in stream order.
/// </summary>
public static class MessageIndexEvents
{
    public const string Stream = "chat:messages";
    public const string Written = nameof(MessagesWritten);
    public const string Removed = nameof(MessagesRemoved);

    public static readonly string[] Types = [Written, Removed];

    /// <summary>
    /// Redis key Chat.Api sets, before it commits an edit or a deletion, to the change's <c>ChangedAt</c> (UTC ticks): until
    /// the RAG service has applied that change (and removed the key), a search leaves the message out rather than show
    /// text that is no longer there.
    /// </summary>
    public static string StaleKey(Guid messageId) => $"memory:stale:{messageId:N}";

    /// <summary>How long a stale mark lives at most (the change reaches the index within seconds; a failed commit leaves a mark that expires).</summary>
    public static readonly TimeSpan StaleFor = TimeSpan.FromMinutes(2);
}

/// <summary>
/// A message's text as it now reads. <c>ChangedAt</c> orders the versions of one message (its creation, then each edit):
/// an older version never replaces a newer one, whatever order the events arrive in.
/// </summary>
public sealed record IndexedMessage(Guid Id, Guid ChannelId, long Seq, Guid SenderId, string SenderName, Guid? ReplyToId, string Text,
    DateTimeOffset CreatedAt, DateTimeOffset ChangedAt);

/// <summary>
/// Messages sent or edited: a group commit's messages of every channel in one event (each message names its channel).
/// Events may be handled in any order: a message's older version never replaces a newer one, nor brings back a deleted one.
/// </summary>
public sealed record MessagesWritten(IReadOnlyList<IndexedMessage> Messages);

/// <summary>Messages of one channel deleted (by a person, or by the channel's retention); their text is gone for good.</summary>
public sealed record MessagesRemoved(Guid ChannelId, IReadOnlyList<Guid> MessageIds, DateTimeOffset RemovedAt);

/// <summary>
/// <c>POST /api/rag/memory</c> on Chat.RagService, for services only (the AI worker): one ranked list of messages of
/// <c>ChannelIds</c> and passages of <c>FileIds</c>; the calling service names what it may search.
/// </summary>
public sealed record MemorySearchRequest(string Query, IReadOnlyList<Guid> ChannelIds, IReadOnlyList<Guid>? FileIds = null, int TopK = 10);

public static class MemoryHitKinds
{
    public const string Message = "message";
    public const string Document = "document";
}

/// <summary>
/// One hit: a message (<c>MessageId</c>, <c>ChannelId</c>, <c>Seq</c>) or a document passage (<c>FileId</c>,
/// <c>FileName</c>, <c>Page</c>, <c>Heading</c>); <c>Text</c> is the message or the passage, <c>Score</c> 0–1.
/// </summary>
public sealed record MemoryHit(string Kind, double Score, string Text, Guid? MessageId = null, Guid? ChannelId = null, long? Seq = null,
    Guid? SenderId = null, string? SenderName = null, DateTimeOffset? CreatedAt = null, Guid? FileId = null, string? FileName = null, int? Page = null,
    string? Heading = null);

public sealed record MemorySearchResponse(IReadOnlyList<MemoryHit> Hits);

/// <summary>
/// <c>GET /api/search?q=&amp;limit=&amp;channelId=</c> on the RAG service, for people: one ranked list of the
/// messages and document passages they may read now (Chat.Api says which), best first.
/// </summary>
public sealed record SearchResults(string Query, IReadOnlyList<MemoryHit> Hits);
