using Chat.Api.Presence;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Messages;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Realtime;

/// <summary>
/// The real-time endpoint (<c>/hubs/chat</c>). On connect a client joins the groups of every channel it belongs to;
/// <see cref="Subscribe"/> adds a public channel it only reads. Sends go through the same <see cref="MessageService"/> as REST.
/// After a reconnect a client asks <see cref="GetMessagesAfter"/> (or REST <c>?after=</c>) per channel: see docs/realtime.md.
/// </summary>
[Authorize]
public sealed class ChatHub(
    ChatDbContext db,
    ChannelAccess access,
    MessageService messages,
    PresenceTracker presence,
    Ai.AiStreams aiStreams,
    HubSessions sessions,
    ChatTelemetry telemetry) : Hub<IChatHubClient>
{
    public override async Task OnConnectedAsync()
    {
        var caller = Caller;
        telemetry.ConnectionOpened();
        sessions.Opened(Context);
        var channels = await MemberChannelsAsync(caller.UserId, Context.ConnectionAborted);
        foreach (var channelId in channels)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, ChatNotifier.Group(channelId));
        }
        if (await presence.ConnectedAsync(caller.UserId, Context.ConnectionId))
        {
            await BroadcastPresence(caller.UserId, channels, online: true);
        }
        await base.OnConnectedAsync();
        await Clients.Caller.Ready();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        telemetry.ConnectionClosed();
        sessions.Closed(Context);
        ChatAspire.ServiceDefaults.Observability.SessionOutcomeFeature.Report(Context.GetHttpContext(), exception);
        var caller = Caller;
        if (await presence.DisconnectedAsync(caller.UserId, Context.ConnectionId))
        {
            await BroadcastPresence(caller.UserId, await MemberChannelsAsync(caller.UserId, CancellationToken.None), online: false);
        }
        await base.OnDisconnectedAsync(exception);
    }

    /// <summary>Receive a channel's events (members are subscribed to their channels automatically).</summary>
    public async Task Subscribe(Guid channelId)
    {
        await access.ReadableAsync(channelId, Caller, Context.ConnectionAborted);
        await Groups.AddToGroupAsync(Context.ConnectionId, ChatNotifier.Group(channelId));
    }

    public Task Unsubscribe(Guid channelId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, ChatNotifier.Group(channelId));

    public async Task<MessageDto> SendMessage(Guid channelId, SendMessageRequest request) =>
        (await messages.SendAsync(Caller, channelId, request, Context.ConnectionAborted)).Message;

    /// <summary>Catch-up after a disconnect: messages with seq greater than <paramref name="afterSeq"/>, ascending, one page.</summary>
    public Task<IReadOnlyList<MessageDto>> GetMessagesAfter(Guid channelId, long afterSeq, int limit = 100) =>
        messages.HistoryAsync(Caller, channelId, before: null, after: afterSeq, limit, Context.ConnectionAborted);

    /// <summary>Stops an assistant reply in progress, whichever replica and worker it runs on.</summary>
    public Task CancelAiReply(Guid jobId) => aiStreams.CancelAsync(jobId, Caller, Context.ConnectionAborted);

    /// <summary>Assistant replies streaming in a channel right now with their text so far (call after joining or reconnecting).</summary>
    public async Task<IReadOnlyList<ChatAspire.Contracts.AiReplyDelta>> GetActiveAiReplies(Guid channelId)
    {
        await access.ReadableAsync(channelId, Caller, Context.ConnectionAborted);
        return await aiStreams.ActiveAsync(channelId);
    }

    public async Task Typing(Guid channelId)
    {
        await access.WritableAsync(channelId, Caller, Context.ConnectionAborted);
        await Clients.OthersInGroup(ChatNotifier.Group(channelId)).Typing(channelId, Caller.UserId, Context.User?.Identity?.Name ?? "");
        telemetry.HubMessage("out");
    }

    private Caller Caller => Context.User!.Caller();

    private Task<List<Guid>> MemberChannelsAsync(Guid userId, CancellationToken ct) =>
        db.Members.AsNoTracking().Where(m => m.UserId == userId).Select(m => m.ChannelId).ToListAsync(ct);

    private async Task BroadcastPresence(Guid userId, IReadOnlyList<Guid> channels, bool online)
    {
        if (channels.Count == 0)
        {
            return;
        }
        await Clients.Groups([.. channels.Select(ChatNotifier.Group)]).PresenceChanged(userId, online);
        telemetry.HubMessage("out");
    }
}
