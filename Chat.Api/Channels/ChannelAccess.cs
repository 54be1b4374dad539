using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;
using Chat.Api.Accounts;

namespace Chat.Api.Channels;

/// <summary>A caller as the chat rules see them.</summary>
public readonly record struct Caller(Guid UserId, string Role)
{
    public bool IsSystemModerator => Role is Roles.Admin or Roles.Moderator;
}

/// <summary>The one place that decides who may read, post in and manage a channel.</summary>
public sealed class ChannelAccess(ChatDbContext db)
{
    /// <summary>Public channels are readable by every account; private and direct ones by members only (and by services, such as the AI worker reading context).</summary>
    public async Task<(Channel Channel, ChannelMember? Member)> ReadableAsync(Guid channelId, Caller caller, CancellationToken ct)
    {
        // One query for the channel and the caller's membership: this runs on every read and every send.
        var row = await (from c in db.Channels.AsNoTracking()
                         where c.Id == channelId
                         select new { Channel = c, Member = db.Members.FirstOrDefault(m => m.ChannelId == c.Id && m.UserId == caller.UserId) })
            .FirstOrDefaultAsync(ct) ?? throw ChatException.NotFound("No such channel.");
        EnsureReadable(caller, row.Channel.Kind, row.Member is not null);
        return (row.Channel, row.Member);
    }

    /// <summary>Posting needs membership, a live channel, and a role above guest.</summary>
    public async Task<(Channel Channel, ChannelMember Member)> WritableAsync(Guid channelId, Caller caller, CancellationToken ct)
    {
        var (channel, member) = await ReadableAsync(channelId, caller, ct);
        EnsureWritable(caller, channel.Kind, channel.ArchivedAt is not null, member is not null);
        return (channel, member!);
    }

    /// <summary>
    /// The read rule as a query: the channels <paramref name="userId"/> may read (every list and search starts here). A bot
    /// (<paramref name="role"/> <see cref="Roles.Bot"/>) reads only the channels it was added to, public or not.
    /// </summary>
    public static IQueryable<Channel> ReadableBy(ChatDbContext db, Guid userId, string role)
    {
        var publicToo = role != Roles.Bot;
        return db.Channels.Where(c => (publicToo && c.Kind == ChannelKinds.Public) || db.Members.Any(m => m.ChannelId == c.Id && m.UserId == userId));
    }

    /// <summary>The read rule on facts already loaded (the group-commit writer loads them under its lock).</summary>
    public static void EnsureReadable(Caller caller, string kind, bool isMember)
    {
        if (!isMember && (kind != ChannelKinds.Public || caller.Role == Roles.Bot) && caller.Role != ChatAspire.ServiceDefaults.Auth.ServiceTokens.Role)
        {
            throw ChatException.Forbidden("You are not a member of this channel.");
        }
    }

    /// <summary>The write rule on facts already loaded: readable, and a member above guest in a live channel.</summary>
    public static void EnsureWritable(Caller caller, string kind, bool archived, bool isMember)
    {
        EnsureReadable(caller, kind, isMember);
        if (caller.Role == Roles.Guest)
        {
            throw ChatException.Forbidden("Guests can read public channels but not post.");
        }
        if (!isMember)
        {
            throw ChatException.Forbidden("Join the channel before posting.");
        }
        if (archived)
        {
            throw ChatException.Forbidden("The channel is archived.");
        }
    }

    /// <summary>Owners and channel admins manage a channel; system admins may too.</summary>
    public async Task<(Channel Channel, ChannelMember? Member)> ManageableAsync(Guid channelId, Caller caller, CancellationToken ct)
    {
        var (channel, member) = await ReadableAsync(channelId, caller, ct);
        if (caller.Role != Roles.Admin && (member is null || !MemberRoles.CanManage(member.Role)))
        {
            throw ChatException.Forbidden("Only the channel's owner or admins may do that.");
        }
        return (channel, member);
    }
}
