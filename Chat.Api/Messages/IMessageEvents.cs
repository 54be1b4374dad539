namespace Chat.Api.Messages;

/// <summary>
/// What message changes tell connected clients, after they are committed. Implemented by the hub's notifier (Realtime),
/// so messages do not depend on the hub.
/// </summary>
public interface IMessageEvents
{
    Task MessageCreatedAsync(MessageDto message);
    Task MessageEditedAsync(MessageDto message);
    Task MessageDeletedAsync(Guid channelId, Guid messageId, long seq);
    Task ReactionsChangedAsync(Guid channelId, Guid messageId, long seq, IReadOnlyList<ReactionCount> reactions);
}
