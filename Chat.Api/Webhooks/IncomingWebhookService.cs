using System.Security.Cryptography;
using System.Text;
using Chat.Api.Accounts;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Messages;
using ChatAspire.Rules;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Webhooks;

/// <summary>Creating, listing and revoking a channel's incoming webhooks (owner or admin), and posting through one.</summary>
public sealed partial class IncomingWebhookService(ChatDbContext db, ChannelAccess access, MessageService messages, Audit.AuditLog audit,
    ILogger<IncomingWebhookService> logger)
{
    public async Task<(IncomingWebhook Webhook, string Secret)> CreateAsync(Caller caller, Guid channelId, string? name, CancellationToken ct)
    {
        var (channel, _) = await access.ManageableAsync(channelId, caller, ct);
        if (channel.ArchivedAt is not null)
        {
            throw ChatException.Forbidden("The channel is archived.");
        }
        var display = name?.Trim() ?? "";
        if (display.Length is 0 or > IncomingWebhook.MaxNameLength || !TextRules.IsAcceptableText(display) || display.Contains('\n'))
        {
            throw ChatException.Invalid($"A webhook needs a name of one line, 1 to {IncomingWebhook.MaxNameLength} characters.");
        }
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var bot = new User
        {
            UserName = $"webhook-{Guid.NewGuid():N}"[..32], DisplayName = display, Role = Roles.User, IsSystem = true, PasswordHash = null,
        };
        var webhook = new IncomingWebhook { ChannelId = channelId, Name = display, BotUserId = bot.Id, SecretHash = Hash(secret), CreatedBy = caller.UserId };
        db.Users.Add(bot);
        db.Members.Add(new ChannelMember { ChannelId = channelId, UserId = bot.Id, Role = MemberRoles.Member });
        db.IncomingWebhooks.Add(webhook);
        await db.SaveChangesAsync(ct);
        LogCreated(logger, webhook.Id, channelId, caller.UserId);
        await audit.RecordAsync(db, new Audit.AuditRecord(Audit.AuditActions.WebhookCreated, caller.UserId, null, Audit.AuditTargets.Webhook, webhook.Id,
            Detail: $"\"{display}\" in channel {channelId}"), ct);
        return (webhook, secret);
    }

    public async Task<IReadOnlyList<WebhookDto>> ListAsync(Caller caller, Guid channelId, CancellationToken ct)
    {
        await access.ManageableAsync(channelId, caller, ct);
        return [.. (await db.IncomingWebhooks.AsNoTracking().Where(w => w.ChannelId == channelId).OrderBy(w => w.CreatedAt).ToListAsync(ct)).Select(WebhookDto.From)];
    }

    /// <summary>Revokes at once: the URL answers 404 from the next request, and the bot leaves the channel (its messages stay).</summary>
    public async Task DeleteAsync(Caller caller, Guid channelId, Guid webhookId, CancellationToken ct)
    {
        await access.ManageableAsync(channelId, caller, ct);
        var webhook = await db.IncomingWebhooks.FirstOrDefaultAsync(w => w.Id == webhookId && w.ChannelId == channelId, ct)
            ?? throw ChatException.NotFound("No such webhook in this channel.");
        db.IncomingWebhooks.Remove(webhook);
        await db.Members.Where(m => m.ChannelId == channelId && m.UserId == webhook.BotUserId).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        LogRevoked(logger, webhook.Id, channelId, caller.UserId);
        await audit.RecordAsync(db, new Audit.AuditRecord(Audit.AuditActions.WebhookRevoked, caller.UserId, null, Audit.AuditTargets.Webhook, webhook.Id,
            Detail: $"\"{webhook.Name}\" in channel {channelId}"), ct);
    }

    /// <summary>The webhook with this id and secret; null (a 404 for the caller) when either is wrong, which look the same.</summary>
    public async Task<IncomingWebhook?> FindAsync(Guid webhookId, string secret, CancellationToken ct)
    {
        var webhook = await db.IncomingWebhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == webhookId, ct);
        return webhook is not null && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(webhook.SecretHash), SHA256.HashData(Encoding.UTF8.GetBytes(secret)))
            ? webhook
            : null;
    }

    /// <summary>Posts <paramref name="payload"/> into the webhook's channel as its bot.</summary>
    public Task<MessageDto> PostAsync(IncomingWebhook webhook, WebhookPayload payload, CancellationToken ct) =>
        messages.PostAsBotAsync(new Caller(webhook.BotUserId, Roles.User), webhook.ChannelId, payload.Text, payload.Username, ct);

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    [LoggerMessage(EventId = 2301, EventName = "webhook_created", Level = LogLevel.Information,
        Message = "webhook_created: incoming webhook {WebhookId} in channel {ChannelId} by {UserId}")]
    private static partial void LogCreated(ILogger logger, Guid webhookId, Guid channelId, Guid userId);

    [LoggerMessage(EventId = 2302, EventName = "webhook_revoked", Level = LogLevel.Information,
        Message = "webhook_revoked: incoming webhook {WebhookId} in channel {ChannelId} by {UserId}")]
    private static partial void LogRevoked(ILogger logger, Guid webhookId, Guid channelId, Guid userId);
}
