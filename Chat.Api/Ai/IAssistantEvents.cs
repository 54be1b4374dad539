using ChatAspire.Contracts;

namespace Chat.Api.Ai;

/// <summary>What the assistant tells connected clients. Implemented by the hub's notifier (Realtime), so the assistant does not depend on the hub.</summary>
public interface IAssistantEvents
{
    /// <summary>A piece of a reply as it streams, to the channel.</summary>
    Task ReplyDeltaAsync(AiReplyDelta delta);

    /// <summary>Tells only the asker that the assistant did not take the request.</summary>
    Task AssistantBusyAsync(Guid userId, Guid channelId, string text);

    /// <summary>Ingestion progress of a document, to its uploader.</summary>
    Task DocumentStatusAsync(DocumentStatusChanged status);
}
