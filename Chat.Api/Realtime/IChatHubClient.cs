using Chat.Api.Channels;
using Chat.Api.Messages;

namespace Chat.Api.Realtime;

/// <summary>Events the server sends to hub clients. Every channel event carries the channel id; message events carry the seq.</summary>
public interface IChatHubClient
{
    Task MessageCreated(MessageDto message);
    Task MessageEdited(MessageDto message);
    Task MessageDeleted(Guid channelId, Guid messageId, long seq);
    Task ReactionChanged(Guid channelId, Guid messageId, long seq, IReadOnlyList<ReactionCount> reactions);
    Task Typing(Guid channelId, Guid userId, string userName);
    Task PresenceChanged(Guid userId, bool online);
    Task MemberJoined(Guid channelId, Guid userId);
    Task MemberLeft(Guid channelId, Guid userId);
    Task ChannelUpdated(ChannelDto channel);

    /// <summary>A piece of an assistant reply as it streams (then one final delta with state completed/cancelled/failed).</summary>
    Task AiReplyDelta(ChatAspire.Contracts.AiReplyDelta delta);

    /// <summary>Ingestion progress of a document the user uploaded (queued, extracting, embedding, ready, failed).</summary>
    Task DocumentStatus(ChatAspire.Contracts.DocumentStatusChanged status);

    /// <summary>Sent once per connection after it has joined its channel groups and user address: events from now on reach it.</summary>
    Task Ready();
}
