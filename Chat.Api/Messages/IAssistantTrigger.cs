namespace Chat.Api.Messages;

/// <summary>
/// What a send needs from the assistant (implemented by <c>Ai.AiRequests</c>): whether a message calls it, whether it
/// can take more work, and the job to create in the send's own transaction. Messages do not depend on the assistant.
/// </summary>
public interface IAssistantTrigger
{
    /// <summary>The refusal an "ask" gets while the assistant is busy.</summary>
    string BusyText { get; }

    /// <summary>True when <paramref name="content"/> mentions the assistant.</summary>
    bool IsCalledBy(string content);

    /// <summary>True when the assistant has as many unfinished jobs as it takes.</summary>
    Task<bool> BusyAsync(CancellationToken ct);

    /// <summary>Adds the job for <paramref name="message"/> to the send's transaction, on the writer's <paramref name="db"/>
    /// (called once the message has its seq; the writer saves).</summary>
    Task EnqueueAsync(Data.ChatDbContext db, Message message, CancellationToken ct);

    /// <summary>After the commit of a transaction that enqueued work: wakes the publisher of the job.</summary>
    void Committed();

    /// <summary>Tells only the sender that the assistant did not take their message (it was still posted).</summary>
    Task NotifyBusyAsync(Guid userId, Guid channelId);
}
