using ChatAspire.ServiceDefaults.Http;
using Chat.Api.Presence;
using ChatAspire.Rules;
using System.Security.Claims;
using Chat.Api.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Chat.Api.Accounts;
using Chat.Api.Audit;

namespace Chat.Api.Channels;

public sealed record CreateChannelRequest(string Name, string? Kind, string? Topic);
public sealed record UpdateChannelRequest(string? Topic, bool? AiMode);
public sealed record InviteRequest(Guid UserId);

internal static class ChannelsApi
{
    public static IEndpointRouteBuilder MapChannelsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/channels").WithTags("Channels")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", ListChannels).WithName("ListChannels").WithSummary("Channels I belong to, plus every public channel.");
        group.MapPost("/", CreateChannel).WithName("CreateChannel").WithSummary("Create a public or private channel; the creator owns it.");
        group.MapGet("/{id:guid}", GetChannel).WithName("GetChannel").WithSummary("One channel I may read.");
        group.MapPatch("/{id:guid}", UpdateChannel).WithName("UpdateChannel").WithSummary("Change topic or AI mode (owner/admin).");
        group.MapPost("/{id:guid}/join", Join).WithName("JoinChannel").WithSummary("Join a public channel.");
        group.MapPost("/{id:guid}/leave", Leave).WithName("LeaveChannel").WithSummary("Leave a channel.");
        group.MapPost("/{id:guid}/archive", Archive).WithName("ArchiveChannel").WithSummary("Archive a channel (owner/admin): readable, no new posts.");
        group.MapGet("/{id:guid}/members", Members).WithName("ListMembers").WithSummary("Members with their role and presence.");
        group.MapPost("/{id:guid}/members", Invite).WithName("InviteMember").WithSummary("Add someone to a private or public channel (owner/admin).");
        group.MapPost("/{id:guid}/read", MarkRead).WithName("MarkRead").WithSummary("Mark everything up to a sequence number as read.");
        app.MapPost("/api/direct/{userId:guid}", OpenDirect).WithTags("Channels").WithName("OpenDirect")
            .WithSummary("The direct channel between me and another user, created on first use.");
        return app;
    }

    internal static Caller Caller(this ClaimsPrincipal user) => new(user.UserId(), user.Role());

    private static async Task<Ok<ChannelDto[]>> ListChannels(ClaimsPrincipal user, ChatDbContext db, CancellationToken ct)
    {
        var me = user.UserId();
        var rows = await (from c in ChannelAccess.ReadableBy(db, me, user.Role()).AsNoTracking()
                          join m in db.Members.Where(m => m.UserId == me) on c.Id equals m.ChannelId into mine
                          from m in mine.DefaultIfEmpty()
                          orderby c.Name
                          select new { c, m }).Take(500).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(r => ChannelDto.From(r.c, r.m)).ToArray());
    }

    private static async Task<Results<Created<ChannelDto>, ValidationProblem, ProblemHttpResult>> CreateChannel(
        CreateChannelRequest request, ClaimsPrincipal user, ChatDbContext db, ChatTelemetry telemetry, AuditLog audit, VisibilityEpoch visibility,
        CancellationToken ct)
    {
        var caller = user.Caller();
        if (caller.Role is Roles.Guest or Roles.Bot)
        {
            return ChatProblem.Of(ChatErrorKind.Forbidden, caller.Role == Roles.Bot ? "Bots cannot create channels." : "Guests cannot create channels.");
        }
        var name = (request.Name ?? "").Trim();
        var kind = request.Kind ?? ChannelKinds.Public;
        var errors = new Dictionary<string, string[]>();
        if (name.Length is 0 or > Channel.MaxNameLength || !TextRules.IsAcceptableName(name))
        {
            errors["name"] = [$"1 to {Channel.MaxNameLength} printable characters (no control or bidirectional-override characters)."];
        }
        if (kind is not (ChannelKinds.Public or ChannelKinds.Private))
        {
            errors["kind"] = ["public or private (direct channels come from /api/direct/{userId})."];
        }
        if (request.Topic is { Length: > Channel.MaxTopicLength })
        {
            errors["topic"] = [$"At most {Channel.MaxTopicLength} characters."];
        }
        else if (request.Topic is { } topic && !TextRules.IsAcceptableText(topic))
        {
            errors["topic"] = ["The topic contains a control character (such as NUL)."];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }
        if (await db.Channels.AnyAsync(c => c.Name == name && c.Kind != ChannelKinds.Direct, ct))
        {
            return ChatProblem.Of(ChatErrorKind.Conflict, "A channel with that name exists.");
        }
        var channel = new Channel { Name = name, Kind = kind, Topic = request.Topic, CreatedBy = caller.UserId };
        var owner = new ChannelMember { ChannelId = channel.Id, UserId = caller.UserId, Role = MemberRoles.Owner };
        db.Channels.Add(channel);
        db.Members.Add(owner);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return ChatProblem.Of(ChatErrorKind.Conflict, "A channel with that name exists.");
        }
        telemetry.ChannelCreated(kind);
        await visibility.ChangedAsync(); // a new channel is readable by its owner (and, public, by everyone): searches must see it
        await audit.RecordAsync(db, AuditRecord.By(user, AuditActions.ChannelCreated, AuditTargets.Channel, channel.Id, $"{kind} {name}"), ct);
        return TypedResults.Created($"/api/channels/{channel.Id}", ChannelDto.From(channel, owner));
    }

    private static async Task<Ok<ChannelDto>> GetChannel(Guid id, ClaimsPrincipal user, ChannelAccess access, CancellationToken ct)
    {
        var (channel, member) = await access.ReadableAsync(id, user.Caller(), ct);
        return TypedResults.Ok(ChannelDto.From(channel, member));
    }

    private static async Task<Results<Ok<ChannelDto>, ValidationProblem>> UpdateChannel(Guid id, UpdateChannelRequest request, ClaimsPrincipal user, ChannelAccess access,
        ChatDbContext db, IChannelEvents notifier, CancellationToken ct)
    {
        var (channel, member) = await access.ManageableAsync(id, user.Caller(), ct);
        if (request.Topic is { Length: > Channel.MaxTopicLength })
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["topic"] = [$"At most {Channel.MaxTopicLength} characters."] });
        }
        if (request.Topic is { } topic && !TextRules.IsAcceptableText(topic))
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["topic"] = ["The topic contains a control character (such as NUL)."] });
        }
        channel.Topic = request.Topic ?? channel.Topic;
        channel.AiMode = request.AiMode ?? channel.AiMode;
        await db.Channels.Where(c => c.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Topic, channel.Topic).SetProperty(c => c.AiMode, channel.AiMode), ct);
        var dto = ChannelDto.From(channel, member);
        await notifier.ChannelUpdatedAsync(dto with { MyRole = null, UnreadCount = null });
        return TypedResults.Ok(dto);
    }

    private static async Task<Results<Ok<ChannelDto>, ProblemHttpResult>> Join(Guid id, ClaimsPrincipal user, ChannelAccess access, ChatDbContext db, IChannelEvents notifier,
        VisibilityEpoch visibility, AuditLog audit, CancellationToken ct)
    {
        var caller = user.Caller();
        var (channel, member) = await access.ReadableAsync(id, caller, ct);
        if (member is null)
        {
            if (channel.ArchivedAt is not null)
            {
                return ChatProblem.Of(ChatErrorKind.Forbidden, "The channel is archived.");
            }
            member = new ChannelMember { ChannelId = id, UserId = caller.UserId, LastReadSeq = channel.LastSeq };
            db.Members.Add(member);
            await db.SaveChangesAsync(ct);
            await visibility.ChangedAsync();
            await notifier.MemberJoinedAsync(id, caller.UserId);
            await audit.RecordAsync(db, AuditRecord.By(user, AuditActions.MemberJoined, AuditTargets.Channel, id), ct);
        }
        return TypedResults.Ok(ChannelDto.From(channel, member));
    }

    private static async Task<NoContent> Leave(Guid id, ClaimsPrincipal user, ChatDbContext db, IChannelEvents notifier, VisibilityEpoch visibility, AuditLog audit,
        CancellationToken ct)
    {
        var me = user.UserId();
        if (await db.Members.Where(m => m.ChannelId == id && m.UserId == me).ExecuteDeleteAsync(ct) > 0)
        {
            await visibility.ChangedAsync();
            await notifier.MemberLeftAsync(id, me);
            await audit.RecordAsync(db, AuditRecord.By(user, AuditActions.MemberLeft, AuditTargets.Channel, id), ct);
        }
        return TypedResults.NoContent();
    }

    private static async Task<Ok<ChannelDto>> Archive(Guid id, ClaimsPrincipal user, ChannelAccess access, ChatDbContext db, IChannelEvents notifier, AuditLog audit,
        CancellationToken ct)
    {
        var (channel, member) = await access.ManageableAsync(id, user.Caller(), ct);
        channel.ArchivedAt ??= DateTimeOffset.UtcNow;
        if (await db.Channels.Where(c => c.Id == id && c.ArchivedAt == null).ExecuteUpdateAsync(s => s.SetProperty(c => c.ArchivedAt, channel.ArchivedAt), ct) > 0)
        {
            await audit.RecordAsync(db, AuditRecord.By(user, AuditActions.ChannelArchived, AuditTargets.Channel, id, channel.Name), ct);
        }
        var dto = ChannelDto.From(channel, member);
        await notifier.ChannelUpdatedAsync(dto with { MyRole = null, UnreadCount = null });
        return TypedResults.Ok(dto);
    }

    private static async Task<Ok<MemberDto[]>> Members(Guid id, ClaimsPrincipal user, ChannelAccess access, ChatDbContext db, PresenceTracker presence, CancellationToken ct)
    {
        await access.ReadableAsync(id, user.Caller(), ct);
        var rows = await (from m in db.Members.AsNoTracking()
                          join u in db.Users on m.UserId equals u.Id
                          where m.ChannelId == id
                          orderby u.UserName
                          select new { m.UserId, u.UserName, u.DisplayName, m.Role }).Take(1000).ToListAsync(ct);
        var online = await presence.OnlineUsersAsync();
        return TypedResults.Ok(rows.Select(r => new MemberDto(r.UserId, r.UserName, r.DisplayName, r.Role, online.Contains(r.UserId))).ToArray());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Invite(Guid id, InviteRequest request, ClaimsPrincipal user, ChannelAccess access,
        ChatDbContext db, IChannelEvents notifier, VisibilityEpoch visibility, AuditLog audit, CancellationToken ct)
    {
        var (channel, _) = await access.ManageableAsync(id, user.Caller(), ct);
        if (channel.Kind == ChannelKinds.Direct)
        {
            return ChatProblem.Of(ChatErrorKind.Invalid, "Direct channels have exactly two members.");
        }
        if (!await db.Users.AnyAsync(u => u.Id == request.UserId && !u.IsSystem, ct))
        {
            return ChatProblem.Of(ChatErrorKind.NotFound, "No such user.");
        }
        if (!await db.Members.AnyAsync(m => m.ChannelId == id && m.UserId == request.UserId, ct))
        {
            db.Members.Add(new ChannelMember { ChannelId = id, UserId = request.UserId, LastReadSeq = 0 });
            await db.SaveChangesAsync(ct);
            await visibility.ChangedAsync();
            await notifier.MemberJoinedAsync(id, request.UserId);
            await audit.RecordAsync(db, AuditRecord.By(user, AuditActions.MemberAdded, AuditTargets.Channel, id, $"user {request.UserId}"), ct);
        }
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> MarkRead(Guid id, long seq, ClaimsPrincipal user, ChatDbContext db, CancellationToken ct)
    {
        var me = user.UserId();
        await db.Members.Where(m => m.ChannelId == id && m.UserId == me && m.LastReadSeq < seq)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LastReadSeq, seq), ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ChannelDto>, ProblemHttpResult>> OpenDirect(Guid userId, ClaimsPrincipal user, ChatDbContext db, ChatTelemetry telemetry,
        VisibilityEpoch visibility, CancellationToken ct)
    {
        var caller = user.Caller();
        if (caller.Role is Roles.Guest or Roles.Bot)
        {
            return ChatProblem.Of(ChatErrorKind.Forbidden, caller.Role == Roles.Bot ? "Bots cannot open direct messages." : "Guests cannot open direct messages.");
        }
        if (userId == caller.UserId)
        {
            return ChatProblem.Of(ChatErrorKind.Invalid, "A direct channel needs another person.");
        }
        if (await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId && !u.IsSystem, ct) is not { } other)
        {
            return ChatProblem.Of(ChatErrorKind.NotFound, "No such user.");
        }
        var key = string.Join(':', new[] { caller.UserId, userId }.Order());
        if (await db.Channels.AsNoTracking().FirstOrDefaultAsync(c => c.DirectKey == key, ct) is not { } channel)
        {
            var me = await db.Users.AsNoTracking().SingleAsync(u => u.Id == caller.UserId, ct);
            channel = new Channel { Name = $"{me.UserName}, {other.UserName}", Kind = ChannelKinds.Direct, DirectKey = key, CreatedBy = caller.UserId };
            db.Channels.Add(channel);
            db.Members.Add(new ChannelMember { ChannelId = channel.Id, UserId = caller.UserId, Role = MemberRoles.Owner });
            db.Members.Add(new ChannelMember { ChannelId = channel.Id, UserId = userId, Role = MemberRoles.Owner });
            try
            {
                await db.SaveChangesAsync(ct);
                telemetry.ChannelCreated(ChannelKinds.Direct);
                await visibility.ChangedAsync();
            }
            catch (DbUpdateException ex) when (ex.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
            {
                db.ChangeTracker.Clear(); // the other person opened it at the same moment
                channel = await db.Channels.AsNoTracking().SingleAsync(c => c.DirectKey == key, ct);
            }
        }
        var mine = await db.Members.AsNoTracking().FirstAsync(m => m.ChannelId == channel.Id && m.UserId == caller.UserId, ct);
        return TypedResults.Ok(ChannelDto.From(channel, mine));
    }
}
