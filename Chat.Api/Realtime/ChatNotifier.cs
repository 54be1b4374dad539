using Chat.Api.Presence;
using ChatAspire.Contracts;
using Chat.Api.Ai;
using Chat.Api.Channels;
using Chat.Api.Messages;
using Microsoft.AspNetCore.SignalR;

namespace Chat.Api.Realtime;

/// <summary>
/// Broadcasts after a change is committed. Through the Redis backplane every replica delivers to its own connections.
/// </summary>
public sealed class ChatNotifier(IHubContext<ChatHub, IChatHubClient> hub, PresenceTracker presence, ChatTelemetry telemetry)
    : IMessageEvents, IChannelEvents, IAssistantEvents
{
    public static string Group(Guid channelId) => $"channel:{channelId}";

    public Task MessageCreatedAsync(MessageDto message) => Send(hub.Clients.Group(Group(message.ChannelId)).MessageCreated(message));

    public Task MessageEditedAsync(MessageDto message) => Send(hub.Clients.Group(Group(message.ChannelId)).MessageEdited(message));

    public Task MessageDeletedAsync(Guid channelId, Guid messageId, long seq) =>
        Send(hub.Clients.Group(Group(channelId)).MessageDeleted(channelId, messageId, seq));

    public Task ReactionsChangedAsync(Guid channelId, Guid messageId, long seq, IReadOnlyList<ReactionCount> reactions) =>
        Send(hub.Clients.Group(Group(channelId)).ReactionChanged(channelId, messageId, seq, reactions));

    public Task ChannelUpdatedAsync(ChannelDto channel) => Send(hub.Clients.Group(Group(channel.Id)).ChannelUpdated(channel));

    /// <summary>Tells the channel and the new member (who may not be subscribed yet, on any replica).</summary>
    public async Task MemberJoinedAsync(Guid channelId, Guid userId)
    {
        await Send(hub.Clients.Group(Group(channelId)).MemberJoined(channelId, userId));
        await Send(hub.Clients.User(userId.ToString()).MemberJoined(channelId, userId));
    }

    /// <summary>Removes every connection of the leaver from the channel's group first, so nothing more reaches them.</summary>
    public async Task MemberLeftAsync(Guid channelId, Guid userId)
    {
        foreach (var connectionId in await presence.ConnectionsOfAsync(userId))
        {
            await hub.Groups.RemoveFromGroupAsync(connectionId, Group(channelId));
        }
        await Send(hub.Clients.Group(Group(channelId)).MemberLeft(channelId, userId));
        await Send(hub.Clients.User(userId.ToString()).MemberLeft(channelId, userId));
    }

    public Task ReplyDeltaAsync(AiReplyDelta delta) => Send(hub.Clients.Group(Group(delta.ChannelId)).AiReplyDelta(delta));

    /// <summary>Tells only the asker that the assistant did not take the request (their message was still posted).</summary>
    public Task AssistantBusyAsync(Guid userId, Guid channelId, string text) =>
        Send(hub.Clients.User(userId.ToString()).AiReplyDelta(new AiReplyDelta(Guid.Empty, channelId, 0, text, AiReplyDelta.Busy)));

    public Task DocumentStatusAsync(DocumentStatusChanged status) => Send(hub.Clients.User(status.OwnerId.ToString()).DocumentStatus(status));

    private async Task Send(Task send)
    {
        await send;
        telemetry.HubMessage("out");
    }
}
