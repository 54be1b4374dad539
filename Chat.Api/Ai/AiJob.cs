namespace Chat.Api.Ai;

public static class AiJobStatus
{
    public const string Queued = "queued";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// A request for an assistant reply, created in the same transaction as the message that asked (with an outbox row
/// that carries it to the <c>ai:jobs</c> stream). Its id is the reply's idempotency key: one reply per job.
/// </summary>
public sealed class AiJob
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required Guid ChannelId { get; init; }
    public required Guid MessageId { get; init; }
    public required Guid RequestedBy { get; init; }
    public string Status { get; set; } = AiJobStatus.Queued;
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? CompletedAt { get; set; }
    public Guid? ReplyMessageId { get; set; }
}

public sealed record AiJobDto(Guid Id, Guid ChannelId, Guid MessageId, string Status, Guid? ReplyMessageId)
{
    public static AiJobDto From(AiJob j) => new(j.Id, j.ChannelId, j.MessageId, j.Status, j.ReplyMessageId);
}
