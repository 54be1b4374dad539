using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Chat.Api.Accounts;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Webhooks;

/// <summary>
/// Delivers outgoing webhooks from Postgres, so nothing is lost across restarts. Each tick (<see cref="WebhookOptions.PollInterval"/>):
/// 1. one replica at a time (an advisory lock) reads each webhook's channel after its cursor, records a delivery for every
///    new message that starts with a trigger word or mentions the bot, and moves the cursor, in one transaction;
/// 2. every replica claims due deliveries (<c>FOR UPDATE SKIP LOCKED</c>, with a lease), POSTs them signed, and records
///    the outcome: delivered (an answer with text is posted back as the bot), or another attempt after a backoff, or
///    failed after <see cref="WebhookOptions.MaxAttempts"/>.
/// Messages from bots, webhooks and the assistant never trigger one (no loops between bots).
/// </summary>
public sealed partial class OutgoingWebhookDispatcher(IServiceScopeFactory scopes, IHttpClientFactory http, IOptions<WebhookOptions> options,
    TimeProvider clock, ILogger<OutgoingWebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "outgoing-webhooks";
    public const string SignatureHeader = "X-ChatAspire-Signature";
    public const string TimestampHeader = "X-ChatAspire-Timestamp";
    public const string DeliveryHeader = "X-ChatAspire-Delivery";
    private const long ScanLock = 7402;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private sealed record Claimed(long Id, Guid WebhookId, Guid MessageId, long Seq, int Attempts);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
                    bool any;
                    using (ChatAspire.ServiceDefaults.Data.DatabaseQueryObserver.Upkeep()) // the idle poll is upkeep: a busy machine's slow answer is no slow query
                    {
                        any = await db.OutgoingWebhooks.AnyAsync(stoppingToken);
                    }
                    if (!any)
                    {
                        continue; // the common case: one small query a tick, nothing else
                    }
                    await ScanAsync(db, stoppingToken);
                    await SendDueAsync(scope.ServiceProvider, db, stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogTickFailed(logger, ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static async Task ScanAsync(ChatDbContext db, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({ScanLock}) AS \"Value\"").SingleAsync(ct))
        {
            return;
        }
        var webhooks = await db.OutgoingWebhooks.ToListAsync(ct);
        var bots = await db.Users.AsNoTracking().Where(u => u.IsSystem || u.Role == Roles.Bot).Select(u => u.Id).ToListAsync(ct);
        foreach (var webhook in webhooks)
        {
            var fresh = await db.Messages.AsNoTracking().Where(m => m.ChannelId == webhook.ChannelId && m.Seq > webhook.LastSeq)
                .OrderBy(m => m.Seq).Take(200).Select(m => new { m.Id, m.Seq, m.SenderId, m.Type, m.Content, m.Mentions, m.DeletedAt }).ToListAsync(ct);
            foreach (var m in fresh)
            {
                var fromPerson = (m.Type is MessageTypes.User or MessageTypes.Command) && !bots.Contains(m.SenderId) && m.DeletedAt is null;
                if (fromPerson && (TriggerWord(webhook, m.Content) is not null || m.Mentions.Contains(webhook.BotUserId)))
                {
                    db.OutgoingDeliveries.Add(new OutgoingDelivery { WebhookId = webhook.Id, MessageId = m.Id, Seq = m.Seq });
                }
            }
            if (fresh.Count > 0)
            {
                webhook.LastSeq = fresh[^1].Seq;
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The trigger word <paramref name="text"/> starts with (case-insensitive, as a whole word), or null.</summary>
    public static string? TriggerWord(OutgoingWebhook webhook, string text)
    {
        var start = text.TrimStart();
        return webhook.TriggerWords.FirstOrDefault(w => start.StartsWith(w, StringComparison.OrdinalIgnoreCase)
            && (start.Length == w.Length || !char.IsLetterOrDigit(start[w.Length])));
    }

    private async Task SendDueAsync(IServiceProvider services, ChatDbContext db, CancellationToken ct)
    {
        var leaseUntil = clock.GetUtcNow() + Lease;
        var now = clock.GetUtcNow();
        var claimed = await db.Database.SqlQuery<Claimed>($"""
            UPDATE outgoing_deliveries SET "NextAttemptAt" = {leaseUntil}, "Attempts" = "Attempts" + 1
            WHERE "Id" IN (SELECT "Id" FROM outgoing_deliveries WHERE "Status" = 'pending' AND "NextAttemptAt" <= {now}
                           ORDER BY "Id" LIMIT 10 FOR UPDATE SKIP LOCKED)
            RETURNING "Id", "WebhookId", "MessageId", "Seq", "Attempts"
            """).ToListAsync(ct);
        foreach (var delivery in claimed)
        {
            // Work found: a trace of its own (the idle poll above leaves none, docs/monitoring.md).
            using var activity = ChatTelemetry.Source.StartActivity("webhook.deliver");
            activity?.SetTag("chat.webhook_id", delivery.WebhookId);
            await SendAsync(services, db, delivery, ct);
        }
    }

    private async Task SendAsync(IServiceProvider services, ChatDbContext db, Claimed delivery, CancellationToken ct)
    {
        var row = await db.OutgoingDeliveries.FirstAsync(d => d.Id == delivery.Id, ct);
        var webhook = await db.OutgoingWebhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == delivery.WebhookId, ct);
        var message = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == delivery.MessageId, ct);
        if (webhook is null || message is null || message.DeletedAt is not null)
        {
            Finish(row, DeliveryStatus.Failed, null, "the message was deleted before it could be delivered");
            await db.SaveChangesAsync(ct);
            return;
        }
        var sender = await db.Users.AsNoTracking().Where(u => u.Id == message.SenderId).Select(u => u.UserName).FirstOrDefaultAsync(ct) ?? "";
        var payload = new OutgoingPayload(webhook.Id, delivery.Id, message.ChannelId, message.Id, message.Seq, message.SenderId, sender, message.Content,
            TriggerWord(webhook, message.Content), message.CreatedAt);
        var body = JsonSerializer.SerializeToUtf8Bytes(payload, JsonSerializerOptions.Web);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(SignatureHeader, $"sha256={Convert.ToHexStringLower(HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(webhook.Secret), body))}");
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(DeliveryHeader, delivery.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                Retry(row, (int)response.StatusCode, $"the endpoint answered {(int)response.StatusCode}");
            }
            else
            {
                var answer = response.Content.Headers.ContentType?.MediaType == "application/json"
                    ? await response.Content.ReadFromJsonAsync<OutgoingAnswer>(JsonSerializerOptions.Web, timeout.Token) : null;
                Finish(row, DeliveryStatus.Delivered, (int)response.StatusCode, null);
                await db.SaveChangesAsync(ct);
                if (answer?.Text is { Length: > 0 } text)
                {
                    var messages = services.GetRequiredService<MessageService>();
                    await messages.PostAsBotAsync(new Caller(webhook.BotUserId, Roles.User), webhook.ChannelId, text, answer.Username, ct);
                }
                LogDelivered(logger, webhook.Id, delivery.Id, delivery.Attempts);
                return;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or ChatException && !ct.IsCancellationRequested)
        {
            Retry(row, null, ex switch
            {
                TaskCanceledException => $"no answer within {options.Value.Timeout.TotalSeconds:F0} s",
                JsonException => "the answer was not the JSON expected ({\"text\": …})",
                ChatException chat => $"the answer could not be posted: {chat.Message}",
                _ => ex.Message,
            });
        }
        await db.SaveChangesAsync(ct);
    }

    private void Retry(OutgoingDelivery row, int? status, string error)
    {
        if (row.Attempts >= options.Value.MaxAttempts)
        {
            Finish(row, DeliveryStatus.Failed, status, error);
            LogFailed(logger, row.WebhookId, row.Id, row.Attempts, error);
            return;
        }
        row.LastStatusCode = status;
        row.LastError = error.Length > 300 ? error[..300] : error;
        row.NextAttemptAt = clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, row.Attempts)));
    }

    private void Finish(OutgoingDelivery row, string status, int? code, string? error)
    {
        row.Status = status;
        row.LastStatusCode = code;
        row.LastError = error is { Length: > 300 } ? error[..300] : error;
        if (status == DeliveryStatus.Delivered)
        {
            row.DeliveredAt = clock.GetUtcNow();
        }
    }

    [LoggerMessage(EventId = 2901, EventName = "webhook_delivered", Level = LogLevel.Information,
        Message = "webhook_delivered: outgoing webhook {WebhookId}, delivery {DeliveryId}, attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, Guid webhookId, long deliveryId, int attempt);

    [LoggerMessage(EventId = 2902, EventName = "webhook_failed", Level = LogLevel.Warning,
        Message = "webhook_failed: outgoing webhook {WebhookId}, delivery {DeliveryId} gave up after {Attempts} attempts: {Error}")]
    private static partial void LogFailed(ILogger logger, Guid webhookId, long deliveryId, int attempts, string error);

    [LoggerMessage(EventId = 2903, EventName = "webhook_dispatch_failed", Level = LogLevel.Warning,
        Message = "Dispatching outgoing webhooks failed ({Error}); the next tick retries")]
    private static partial void LogTickFailed(ILogger logger, string error);
}
