namespace ChatAspire.Contracts;

/// <summary>
/// A request for an assistant reply, written by Chat.Api in the same transaction as the message that asked for it
/// and published on <see cref="AiJobs.Stream"/>. The job id is the idempotency key of the reply.
/// </summary>
public sealed record AiJobRequested(Guid JobId, Guid ChannelId, Guid MessageId, long MessageSeq, Guid RequestedBy, string Question);

public static class AiJobs
{
    public const string Stream = "ai:jobs";

    /// <summary>Redis pub/sub channel on which the worker relays reply deltas; every Chat.Api replica forwards them to its hub clients.</summary>
    public const string DeltaChannel = "ai:deltas";

    /// <summary>Redis pub/sub channel on which any Chat.Api replica asks the worker to stop a reply.</summary>
    public const string CancelChannel = "ai:cancel";

    /// <summary>Redis key holding the text streamed so far for a job, so a client that joins mid-stream can catch up.</summary>
    public static string PartialKey(Guid jobId) => $"ai:partial:{jobId}";

    /// <summary>Redis set of the jobs whose replies are streaming in a channel right now.</summary>
    public static string ActiveKey(Guid channelId) => $"ai:active:{channelId}";

    /// <summary>Redis key set when a user cancels a job (checked by the worker even if it missed the pub/sub message).</summary>
    public static string CancelKey(Guid jobId) => $"ai:cancelled:{jobId}";
}

/// <summary>A piece of a streaming reply. <c>Offset</c> is the length of the text before <c>Text</c>, so clients can drop repeats.</summary>
public sealed record AiReplyDelta(Guid JobId, Guid ChannelId, int Offset, string Text, string State)
{
    public const string Streaming = "streaming";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";
    public const string Failed = "failed";

    /// <summary>Not a reply: the assistant's queue is full and the request was not taken (sent to the asker only).</summary>
    public const string Busy = "busy";
}

/// <summary>
/// A cited source of an assistant reply: a document passage (<c>FileId</c>, <c>FileName</c>, <c>Page</c> or
/// <c>Heading</c>), or a message of the channel (<c>MessageId</c>, <c>ChannelId</c>, <c>Seq</c>: open the history around it).
/// </summary>
public sealed record AiCitation(int Number, Guid? FileId, string? FileName, int? Page, string? Heading,
    Guid? MessageId = null, Guid? ChannelId = null, long? Seq = null);

/// <summary><c>POST /api/ai/replies</c> on Chat.Api (service callers only): persists the final reply once per job.</summary>
public sealed record AiReplyRequest(Guid JobId, Guid ChannelId, Guid ReplyToId, string Content, IReadOnlyList<AiCitation> Citations, string Outcome);
