using ChatAspire.Rules;
using System.Diagnostics;
using Chat.Api.Accounts;
using Chat.Api.Channels;
using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ChatAspire.Contracts;

namespace Chat.Api.Messages;

public sealed record SendMessageRequest(string Content, Guid? ClientMessageId = null, Guid? ReplyToId = null, string? Type = null,
    IReadOnlyList<Guid>? Attachments = null);

public sealed record EditMessageRequest(string Content);

/// <summary>
/// Sending, editing, deleting and reacting, shared by REST and the hub so both behave the same:
/// check, persist in one transaction, then broadcast.
/// </summary>
public sealed partial class MessageService(
    ChatDbContext db,
    ChannelAccess access,
    UserDirectory users,
    IMessageEvents notifier,
    ChatTelemetry telemetry,
    SendRateLimiter rateLimiter,
    IAttachmentPolicy attachmentPolicy,
    IAssistantTrigger assistant,
    VisibilityEpoch visibility,
    MessageWriter writer,
    MessageIndexFeed index,
    Mentions mentions,
    IOptions<MessagesOptions> options,
    ILogger<MessageService> logger)
{
    /// <param name="askAssistant">Always create an assistant job (the "ask" endpoint); otherwise a mention or the channel's AI mode does.</param>
    public async Task<(MessageDto Message, bool Created)> SendAsync(Caller caller, Guid channelId, SendMessageRequest request,
        CancellationToken ct, bool askAssistant = false)
    {
        // A plain send is high-volume traffic: its root span is sampled as such (docs/monitoring.md, "What is traced").
        var highVolume = !askAssistant && !assistant.IsCalledBy(request.Content ?? "");
        if (!highVolume && Activity.Current is { Recorded: false })
        {
            Activity.Current = null; // the assistant's work is always traced: a hub call sampled out does not take this send with it
        }
        using var activity = ChatTelemetry.Source.StartActivity("message.send", ActivityKind.Internal, default(ActivityContext), highVolume ? HighVolume : null);
        activity?.SetTag("chat.channel_id", channelId);
        var type = request.Type ?? MessageTypes.User;
        var content = Validate(request.Content);
        if (!MessageTypes.ClientSendable.Contains(type))
        {
            throw ChatException.Invalid($"Message type must be one of: {string.Join(", ", MessageTypes.ClientSendable)}.", "type");
        }
        if (caller.Role == Roles.Bot)
        {
            type = MessageTypes.Bot; // a bot account's messages are marked as a bot's, whatever it asks for
        }
        var attachments = request.Attachments ?? [];
        if (attachments.Count > options.Value.MaxAttachments)
        {
            throw ChatException.Invalid($"At most {options.Value.MaxAttachments} attachments.", "attachments");
        }
        if (await rateLimiter.TryAcquireAsync(caller.UserId, ct) is (false, var retryAfter))
        {
            await access.WritableAsync(channelId, caller, ct); // a refusal for access comes before one for speed
            // A retry of a message already stored is answered with the original, however fast the sender is going.
            if (request.ClientMessageId is { } retried && await FindSentAsync(channelId, caller.UserId, retried, ct) is { } original)
            {
                return (await ToDtoAsync(original, ct), false);
            }
            throw new ChatException(ChatErrorKind.RateLimited, $"You are sending too fast; wait {Math.Ceiling(retryAfter.TotalSeconds)} s.", retryAfter);
        }
        await attachmentPolicy.EnsureShareableAsync(attachments, caller, ct);

        var message = new Message
        {
            ChannelId = channelId,
            Seq = 0,
            SenderId = caller.UserId,
            ClientMessageId = request.ClientMessageId,
            Type = type,
            Content = content,
            ReplyToId = request.ReplyToId,
            Attachments = [.. attachments.Distinct()],
            Mentions = await mentions.ResolveAsync(channelId, content, ct),
        };
        // Every send goes through the one write path (group commit), which checks access under its lock. A mention or an
        // ask decides on the assistant's job first; a plain send in a channel with AI mode on is handed back to do the same.
        var assistantBusy = false;
        var written = askAssistant || assistant.IsCalledBy(content)
            ? new MessageWriter.Written(null, null, false)
            : await writer.WriteAsync(message, caller, with: null, handBackAiMode: true, ct);
        if (written.Message is null)
        {
            // The assistant's work is always traced: an unsampled send (AI mode on) starts a trace now.
            using var assistantTrace = highVolume && activity is not { Recorded: true } ? StartAssistantTrace(channelId) : null;
            assistantBusy = await assistant.BusyAsync(ct);
            if (assistantBusy && askAssistant)
            {
                await access.WritableAsync(channelId, caller, ct); // a refusal for access comes before one for load
                throw new ChatException(ChatErrorKind.RateLimited, assistant.BusyText, TimeSpan.FromSeconds(30));
            }
            var job = assistantBusy ? null : new MessageWriter.InTransaction(assistant.EnqueueAsync, assistant.Committed);
            written = await writer.WriteAsync(message, caller, job, handBackAiMode: false, ct);
        }
        if (!written.Created)
        {
            activity?.SetTag("chat.duplicate", true);
            return (await StoredAsync(written.Message!.Id, ct), false);
        }
        var (stored, dto) = (written.Message!, written.Dto!);
        activity?.SetTag("chat.seq", stored.Seq);
        activity?.SetTag("chat.message_type", type);
        activity?.SetTag("chat.message_length", content.Length);
        telemetry.MessageSent(caller.Role, type);
        LogMessageSent(logger, caller.UserId, channelId, content.Length, stored.Seq);
        if (stored.Attachments.Count > 0)
        {
            await visibility.ChangedAsync(); // the channel's readers now see these files
        }
        if (assistantBusy)
        {
            await assistant.NotifyBusyAsync(caller.UserId, channelId);
        }
        return (dto, true);
    }

    /// <summary>
    /// A message from an integration's bot (an incoming webhook), through the same rules and write path as any send: the
    /// text rules, the bot's own send limit, mentions, and the channel rule (the bot is a member; an archived channel
    /// refuses). Shown under <paramref name="authorName"/> when given, else the bot's name; never asks the assistant.
    /// </summary>
    public async Task<MessageDto> PostAsBotAsync(Caller bot, Guid channelId, string? content, string? authorName, CancellationToken ct)
    {
        var text = Validate(content);
        if (authorName is { Length: > 0 } && (authorName.Length > Accounts.User.MaxDisplayNameLength || !TextRules.IsAcceptableText(authorName) || authorName.Contains('\n')))
        {
            throw ChatException.Invalid($"The username must be one line of at most {Accounts.User.MaxDisplayNameLength} characters.", "username");
        }
        if (await rateLimiter.TryAcquireAsync(bot.UserId, ct) is (false, var retryAfter))
        {
            throw new ChatException(ChatErrorKind.RateLimited, $"This webhook is posting too fast; wait {Math.Ceiling(retryAfter.TotalSeconds)} s.", retryAfter);
        }
        var message = new Message
        {
            ChannelId = channelId, Seq = 0, SenderId = bot.UserId, Type = MessageTypes.Bot, Content = text,
            AuthorName = authorName is { Length: > 0 } ? authorName.Trim() : null,
            Mentions = await mentions.ResolveAsync(channelId, text, ct),
        };
        var written = await writer.WriteAsync(message, bot, with: null, handBackAiMode: false, ct);
        telemetry.MessageSent(bot.Role, MessageTypes.Bot);
        return written.Dto!;
    }

    /// <summary>The DTO of a stored message (the original a retried send returns).</summary>
    public async Task<MessageDto> StoredAsync(Guid messageId, CancellationToken ct) =>
        await ToDtoAsync(await db.Messages.AsNoTracking().Include(m => m.Reactions).FirstAsync(m => m.Id == messageId, ct), ct);

    private static readonly KeyValuePair<string, object?>[] HighVolume = ChatAspire.ServiceDefaults.Observability.VolumeAwareSampler.HighVolumeTags;

    private static Activity? StartAssistantTrace(Guid channelId)
    {
        Activity.Current = null; // a new root: the unsampled send must not be its parent
        var activity = ChatTelemetry.Source.StartActivity("message.send");
        activity?.SetTag("chat.channel_id", channelId);
        return activity;
    }

    private Task<Message?> FindSentAsync(Guid channelId, Guid senderId, Guid clientMessageId, CancellationToken ct) =>
        db.Messages.AsNoTracking().Include(m => m.Reactions)
            .FirstOrDefaultAsync(m => m.ChannelId == channelId && m.SenderId == senderId && m.ClientMessageId == clientMessageId, ct);

    public async Task<IReadOnlyList<MessageDto>> HistoryAsync(Caller caller, Guid channelId, long? before, long? after, int? limit, CancellationToken ct)
    {
        await access.ReadableAsync(channelId, caller, ct);
        var take = Math.Clamp(limit ?? 50, 1, options.Value.MaxPageSize);
        var query = db.Messages.AsNoTracking().Include(m => m.Reactions).Where(m => m.ChannelId == channelId);
        List<Message> page;
        if (after is { } a)
        {
            page = await query.Where(m => m.Seq > a).OrderBy(m => m.Seq).Take(take).ToListAsync(ct);
        }
        else
        {
            var upper = before ?? long.MaxValue;
            page = await query.Where(m => m.Seq < upper).OrderByDescending(m => m.Seq).Take(take).ToListAsync(ct);
            page.Reverse();
        }
        return await ToDtosAsync(page, ct, countReplies: true);
    }

    /// <summary>A message and a page of its replies (<paramref name="after"/> a seq, ascending).</summary>
    public async Task<ThreadDto> ThreadAsync(Caller caller, Guid channelId, Guid messageId, long? after, int? limit, CancellationToken ct)
    {
        await access.ReadableAsync(channelId, caller, ct);
        var take = Math.Clamp(limit ?? 50, 1, options.Value.MaxPageSize);
        var root = await db.Messages.AsNoTracking().Include(m => m.Reactions).FirstOrDefaultAsync(m => m.Id == messageId && m.ChannelId == channelId, ct)
            ?? throw ChatException.NotFound("No such message in this channel.");
        var from = after ?? 0;
        var replies = await db.Messages.AsNoTracking().Include(m => m.Reactions)
            .Where(m => m.ChannelId == channelId && m.ReplyToId == messageId && m.Seq > from)
            .OrderBy(m => m.Seq).Take(take).ToListAsync(ct);
        var dtos = await ToDtosAsync([root, .. replies], ct, countReplies: true);
        return new ThreadDto(dtos[0], dtos.Skip(1).ToList());
    }

    /// <summary>Messages that mention me in channels I may read, newest first (<paramref name="before"/> a time, for paging).</summary>
    public async Task<IReadOnlyList<MessageDto>> MentionsOfAsync(Caller caller, DateTimeOffset? before, int? limit, CancellationToken ct)
    {
        var take = Math.Clamp(limit ?? 50, 1, options.Value.MaxPageSize);
        var readable = ChannelAccess.ReadableBy(db, caller.UserId, caller.Role).Select(c => c.Id);
        var upper = before ?? DateTimeOffset.MaxValue;
        var me = caller.UserId;
        var found = await db.Messages.AsNoTracking().Include(m => m.Reactions)
            .Where(m => m.Mentions.Contains(me) && m.DeletedAt == null && m.CreatedAt < upper && readable.Contains(m.ChannelId))
            .OrderByDescending(m => m.CreatedAt).Take(take).ToListAsync(ct);
        return await ToDtosAsync(found, ct, countReplies: true);
    }

    /// <summary>Unread mentions of me per channel I belong to: the (ChannelId, Seq) index bounds the rows, the stored ids decide.</summary>
    public async Task<IReadOnlyList<UnreadMentionsDto>> UnreadMentionsAsync(Caller caller, CancellationToken ct)
    {
        var me = caller.UserId;
        var counts = await (from member in db.Members.Where(m => m.UserId == me)
                            from m in db.Messages.Where(x => x.ChannelId == member.ChannelId && x.Seq > member.LastReadSeq)
                            where m.DeletedAt == null && m.Mentions.Contains(me)
                            group m by m.ChannelId into g
                            select new UnreadMentionsDto(g.Key, g.Count())).ToListAsync(ct);
        return counts;
    }

    /// <summary>The longest query the keyword search takes.</summary>
    public const int MaxKeywordQueryLength = 200;

    public async Task<IReadOnlyList<MessageDto>> SearchAsync(Caller caller, string query, Guid? channelId, int? limit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(query) || query.Length > MaxKeywordQueryLength)
        {
            throw ChatException.Invalid($"The search query must be 1 to {MaxKeywordQueryLength} characters.", "q");
        }
        if (!TextRules.IsAcceptableText(query))
        {
            throw ChatException.Invalid("The search query contains a control character (such as NUL).", "q");
        }
        var take = Math.Clamp(limit ?? 20, 1, options.Value.MaxPageSize);
        var readable = ChannelAccess.ReadableBy(db, caller.UserId, caller.Role).Select(c => c.Id);
        var matches = db.Messages.AsNoTracking().Include(m => m.Reactions)
            .Where(m => m.DeletedAt == null && readable.Contains(m.ChannelId)
                && m.SearchVector.Matches(EF.Functions.WebSearchToTsQuery("simple", query)));
        if (channelId is { } only)
        {
            matches = matches.Where(m => m.ChannelId == only);
        }
        var found = await matches
            .OrderByDescending(m => m.SearchVector.Rank(EF.Functions.WebSearchToTsQuery("simple", query)))
            .ThenByDescending(m => m.CreatedAt)
            .Take(take).ToListAsync(ct);
        return await ToDtosAsync(found, ct, countReplies: true);
    }

    public async Task<MessageDto> EditAsync(Caller caller, Guid channelId, Guid messageId, string content, CancellationToken ct)
    {
        var text = Validate(content);
        await access.WritableAsync(channelId, caller, ct);
        var message = await LoadAsync(channelId, messageId, ct);
        if (message.SenderId != caller.UserId)
        {
            throw ChatException.Forbidden("You can edit only your own messages.");
        }
        if (message.DeletedAt is not null)
        {
            throw ChatException.Invalid("The message was deleted.");
        }
        if (text == message.Content)
        {
            return (await ToDtosAsync([message], ct, countReplies: true))[0];
        }
        var now = DateTimeOffset.UtcNow;
        db.MessageEdits.Add(new MessageEdit { MessageId = message.Id, Content = message.Content, WrittenAt = message.EditedAt ?? message.CreatedAt, ReplacedAt = now });
        message.Content = text;
        message.Mentions = await mentions.ResolveAsync(channelId, text, ct);
        message.EditedAt = now;
        if (MessageIndexFeed.Indexed(message.Type))
        {
            db.Outbox.AddRange(MessageIndexFeed.Written([message], await users.NamesAsync([message.SenderId], ct)));
            await index.MarkStaleAsync([message.Id], now);
        }
        await db.SaveChangesAsync(ct);
        index.Committed();
        var dto = (await ToDtosAsync([message], ct, countReplies: true))[0];
        await notifier.MessageEditedAsync(dto);
        return dto;
    }

    /// <summary>A message's earlier texts, for whoever may read the channel; none once the message is deleted.</summary>
    public async Task<MessageHistoryDto> EditsAsync(Caller caller, Guid channelId, Guid messageId, CancellationToken ct)
    {
        await access.ReadableAsync(channelId, caller, ct);
        var message = await LoadAsync(channelId, messageId, ct);
        if (message.DeletedAt is not null)
        {
            return new MessageHistoryDto(messageId, []);
        }
        var versions = await db.MessageEdits.AsNoTracking().Where(e => e.MessageId == messageId).OrderBy(e => e.Id)
            .Select(e => new MessageVersionDto(e.Content, e.WrittenAt, e.ReplacedAt)).ToListAsync(ct);
        return new MessageHistoryDto(messageId, versions);
    }

    public async Task DeleteAsync(Caller caller, Guid channelId, Guid messageId, CancellationToken ct)
    {
        var (_, member) = await access.ReadableAsync(channelId, caller, ct);
        var message = await LoadAsync(channelId, messageId, ct);
        var moderator = caller.IsSystemModerator || (member is not null && MemberRoles.CanModerate(member.Role));
        if (message.SenderId != caller.UserId && !moderator)
        {
            throw ChatException.Forbidden("You can delete only your own messages.");
        }
        if (message.DeletedAt is null)
        {
            message.DeletedAt = DateTimeOffset.UtcNow;
            message.Content = "";
            db.Outbox.Add(MessageIndexFeed.Removed(channelId, [messageId], message.DeletedAt.Value));
            await index.MarkStaleAsync([messageId], message.DeletedAt.Value);
            await using (var tx = await db.Database.BeginTransactionAsync(ct))
            {
                await db.SaveChangesAsync(ct);
                await db.MessageEdits.Where(e => e.MessageId == messageId).ExecuteDeleteAsync(ct);
                await tx.CommitAsync(ct);
            }
            index.Committed();
            if (message.Attachments.Count > 0)
            {
                await visibility.ChangedAsync();
            }
            await notifier.MessageDeletedAsync(channelId, messageId, message.Seq);
        }
    }

    public async Task<IReadOnlyList<ReactionCount>> ReactAsync(Caller caller, Guid channelId, Guid messageId, string emoji, bool add, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(emoji) || emoji.Length > Reaction.MaxEmojiLength || emoji.Any(char.IsControl))
        {
            throw ChatException.Invalid($"A reaction is 1 to {Reaction.MaxEmojiLength} printable characters.", "emoji");
        }
        await access.WritableAsync(channelId, caller, ct);
        var message = await LoadAsync(channelId, messageId, ct);
        if (add)
        {
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO reactions (\"MessageId\", \"UserId\", \"Emoji\", \"CreatedAt\") VALUES ({messageId}, {caller.UserId}, {emoji}, now()) ON CONFLICT DO NOTHING", ct);
        }
        else
        {
            await db.Reactions.Where(r => r.MessageId == messageId && r.UserId == caller.UserId && r.Emoji == emoji).ExecuteDeleteAsync(ct);
        }
        var reactions = Count(await db.Reactions.AsNoTracking().Where(r => r.MessageId == messageId).ToListAsync(ct));
        await notifier.ReactionsChangedAsync(channelId, messageId, message.Seq, reactions);
        return reactions;
    }

    private string Validate(string? content)
    {
        var text = content?.Trim() ?? "";
        if (text.Length == 0)
        {
            throw ChatException.Invalid("The message is empty.", "content");
        }
        if (text.Length > options.Value.MaxLength)
        {
            throw ChatException.Invalid($"The message is {text.Length} characters long; the limit is {options.Value.MaxLength}.", "content");
        }
        if (!TextRules.IsAcceptableText(text))
        {
            throw ChatException.Invalid("The message contains a control character (such as NUL); only tabs and line breaks are allowed.", "content");
        }
        return text;
    }

    private async Task<Message> LoadAsync(Guid channelId, Guid messageId, CancellationToken ct) =>
        await db.Messages.Include(m => m.Reactions).FirstOrDefaultAsync(m => m.Id == messageId && m.ChannelId == channelId, ct)
        ?? throw ChatException.NotFound("No such message in this channel.");

    /// <summary>The DTO of a message just sent (no replies yet) or of a retried one.</summary>
    public async Task<MessageDto> ToDtoAsync(Message m, CancellationToken ct) => (await ToDtosAsync([m], ct, countReplies: false))[0];

    /// <summary>DTOs of stored messages (with names and reply counts), as history shows them.</summary>
    public Task<IReadOnlyList<MessageDto>> DescribeAsync(IReadOnlyList<Message> messages, CancellationToken ct) => ToDtosAsync(messages, ct, countReplies: true);

    private async Task<IReadOnlyList<MessageDto>> ToDtosAsync(IReadOnlyList<Message> messages, CancellationToken ct, bool countReplies)
    {
        var names = await users.NamesAsync(messages.Select(m => m.SenderId), ct);
        IReadOnlyDictionary<Guid, int> replies = new Dictionary<Guid, int>();
        if (countReplies && messages.Count > 0)
        {
            var ids = messages.Select(m => m.Id).ToArray();
            replies = await db.Messages.AsNoTracking()
                .Where(r => r.ReplyToId != null && ids.Contains(r.ReplyToId.Value) && r.DeletedAt == null)
                .GroupBy(r => r.ReplyToId!.Value).Select(g => new { g.Key, Count = g.Count() })
                .ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        }
        return [.. messages.Select(m => ToDto(m, names, replies.GetValueOrDefault(m.Id)))];
    }

    /// <summary>The client's view of a stored message, with its sender's display name and how many replies it has.</summary>
    internal static MessageDto ToDto(Message m, IReadOnlyDictionary<Guid, string> names, int replyCount = 0) =>
        new(m.Id, m.ChannelId, m.Seq, m.SenderId, m.AuthorName ?? names.GetValueOrDefault(m.SenderId, "unknown"), m.Type,
            m.DeletedAt is null ? m.Content : "", m.ReplyToId, m.ClientMessageId, m.Attachments, m.CreatedAt, m.EditedAt, m.DeletedAt is not null,
            Count(m.Reactions), m.Citations is null || m.DeletedAt is not null ? null
                : System.Text.Json.JsonSerializer.Deserialize<List<AiCitation>>(m.Citations, System.Text.Json.JsonSerializerOptions.Web),
            m.DeletedAt is null ? m.Mentions : [], replyCount);

    private static IReadOnlyList<ReactionCount> Count(IEnumerable<Reaction> reactions) =>
        [.. reactions.GroupBy(r => r.Emoji).OrderBy(g => g.Min(r => r.CreatedAt))
            .Select(g => new ReactionCount(g.Key, g.Count(), [.. g.Select(r => r.UserId)]))];

    [LoggerMessage(EventId = 2001, EventName = "message_sent", Level = LogLevel.Debug,
        Message = "message_sent by {user_id} in {channel_id}: {message_length} characters, seq {seq}")]
    private static partial void LogMessageSent(ILogger logger, Guid user_id, Guid channel_id, int message_length, long seq);
}
