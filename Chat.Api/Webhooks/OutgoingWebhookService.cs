using System.Net;
using System.Security.Cryptography;
using Chat.Api.Accounts;
using Chat.Api.Channels;
using Chat.Api.Data;
using ChatAspire.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Webhooks;

/// <summary>Creating, listing and revoking a channel's outgoing webhooks, and reading their delivery log (channel owner or admin).</summary>
public sealed class OutgoingWebhookService(ChatDbContext db, ChannelAccess access, IOptions<WebhookOptions> options, Audit.AuditLog audit)
{
    public async Task<CreatedOutgoingWebhookDto> CreateAsync(Caller caller, Guid channelId, CreateOutgoingWebhookRequest request, CancellationToken ct)
    {
        var (channel, _) = await access.ManageableAsync(channelId, caller, ct);
        if (channel.ArchivedAt is not null)
        {
            throw ChatException.Forbidden("The channel is archived.");
        }
        var url = ValidUrl(request.Url);
        var words = (request.TriggerWords ?? []).Select(w => w?.Trim() ?? "").ToList();
        if (words.Count is 0 or > OutgoingWebhook.MaxTriggerWords
            || words.Any(w => w.Length is 0 or > OutgoingWebhook.MaxTriggerWordLength || w.Any(char.IsWhiteSpace) || !TextRules.IsAcceptableText(w)))
        {
            throw ChatException.Invalid($"1 to {OutgoingWebhook.MaxTriggerWords} trigger words, each one word of at most {OutgoingWebhook.MaxTriggerWordLength} characters.");
        }
        var name = string.IsNullOrWhiteSpace(request.Name) ? url.Host : request.Name.Trim();
        if (name.Length > IncomingWebhook.MaxNameLength || !TextRules.IsAcceptableText(name) || name.Contains('\n'))
        {
            throw ChatException.Invalid($"A name of one line, at most {IncomingWebhook.MaxNameLength} characters.");
        }
        var bot = new User
        {
            UserName = $"webhook-{Guid.NewGuid():N}"[..32], DisplayName = name, Role = Roles.User, IsSystem = true, PasswordHash = null,
        };
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var webhook = new OutgoingWebhook
        {
            ChannelId = channelId, Url = url.ToString(), TriggerWords = [.. words.Distinct(StringComparer.OrdinalIgnoreCase)], Secret = secret,
            BotUserId = bot.Id, CreatedBy = caller.UserId, LastSeq = channel.LastSeq, // from now on: history is not replayed
        };
        db.Users.Add(bot);
        db.Members.Add(new ChannelMember { ChannelId = channelId, UserId = bot.Id, Role = MemberRoles.Member });
        db.OutgoingWebhooks.Add(webhook);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(db, new Audit.AuditRecord(Audit.AuditActions.WebhookCreated, caller.UserId, null, Audit.AuditTargets.Webhook, webhook.Id,
            Detail: $"outgoing to {url.Host} in channel {channelId}"), ct);
        return new CreatedOutgoingWebhookDto(webhook.Id, channelId, webhook.Url, webhook.TriggerWords, bot.Id, secret);
    }

    public async Task<IReadOnlyList<OutgoingWebhookDto>> ListAsync(Caller caller, Guid channelId, CancellationToken ct)
    {
        await access.ManageableAsync(channelId, caller, ct);
        return [.. (await db.OutgoingWebhooks.AsNoTracking().Where(w => w.ChannelId == channelId).OrderBy(w => w.CreatedAt).ToListAsync(ct))
            .Select(OutgoingWebhookDto.From)];
    }

    /// <summary>Revokes at once: nothing more is delivered (its log goes with it), and its bot leaves the channel.</summary>
    public async Task DeleteAsync(Caller caller, Guid channelId, Guid webhookId, CancellationToken ct)
    {
        await access.ManageableAsync(channelId, caller, ct);
        var webhook = await db.OutgoingWebhooks.FirstOrDefaultAsync(w => w.Id == webhookId && w.ChannelId == channelId, ct)
            ?? throw ChatException.NotFound("No such outgoing webhook in this channel.");
        db.OutgoingWebhooks.Remove(webhook);
        await db.Members.Where(m => m.ChannelId == channelId && m.UserId == webhook.BotUserId).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(db, new Audit.AuditRecord(Audit.AuditActions.WebhookRevoked, caller.UserId, null, Audit.AuditTargets.Webhook, webhook.Id,
            Detail: $"outgoing in channel {channelId}"), ct);
    }

    /// <summary>The newest deliveries first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<DeliveryDto>> DeliveriesAsync(Caller caller, Guid channelId, Guid webhookId, int? limit, CancellationToken ct)
    {
        await access.ManageableAsync(channelId, caller, ct);
        if (!await db.OutgoingWebhooks.AnyAsync(w => w.Id == webhookId && w.ChannelId == channelId, ct))
        {
            throw ChatException.NotFound("No such outgoing webhook in this channel.");
        }
        var take = Math.Clamp(limit ?? 50, 1, 200);
        return await db.OutgoingDeliveries.AsNoTracking().Where(d => d.WebhookId == webhookId).OrderByDescending(d => d.Id).Take(take)
            .Select(d => new DeliveryDto(d.Id, d.MessageId, d.Seq, d.Status, d.Attempts, d.LastStatusCode, d.LastError, d.CreatedAt, d.DeliveredAt,
                d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null))
            .ToListAsync(ct);
    }

    private Uri ValidUrl(string? text)
    {
        if (text is not { Length: > 0 and <= OutgoingWebhook.MaxUrlLength } || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url)
            || url.Scheme is not ("http" or "https") || url.UserInfo.Length > 0)
        {
            throw ChatException.Invalid($"The url must be an absolute http or https URL of at most {OutgoingWebhook.MaxUrlLength} characters, without a user name or password.");
        }
        if (!options.Value.AllowPrivateNetworks && (url.IsLoopback || (IPAddress.TryParse(url.DnsSafeHost, out var ip) && !NetworkGuard.IsPublic(ip))))
        {
            throw ChatException.Invalid("The url is a private, loopback or link-local address; outgoing webhooks may not call it (Webhooks:AllowPrivateNetworks).");
        }
        return url;
    }
}
