namespace Chat.Api.Channels;

/// <summary>
/// What channel changes tell connected clients, after they are committed. Implemented by the hub's notifier (Realtime),
/// so channels do not depend on the hub.
/// </summary>
public interface IChannelEvents
{
    Task ChannelUpdatedAsync(ChannelDto channel);

    /// <summary>Tells the channel and the new member (who may not be subscribed yet, on any replica).</summary>
    Task MemberJoinedAsync(Guid channelId, Guid userId);

    /// <summary>Stops deliveries to every connection of the leaver, then tells the channel and the leaver.</summary>
    Task MemberLeftAsync(Guid channelId, Guid userId);
}
