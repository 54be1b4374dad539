namespace Chat.Api.Webhooks;

/// <summary>
/// An outgoing webhook: new messages of its channel that start with one of its trigger words (or mention its bot) are
/// POSTed to <see cref="Url"/>, signed with <see cref="Secret"/>; a JSON answer with <c>text</c> is posted back as its bot.
/// </summary>
public sealed class OutgoingWebhook
{
    public const int MaxUrlLength = 2000;
    public const int MaxTriggerWords = 10;
    public const int MaxTriggerWordLength = 32;

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required Guid ChannelId { get; init; }
    public required string Url { get; init; }
    public required List<string> TriggerWords { get; init; }

    /// <summary>
    /// The signing key (HMAC-SHA256 of each body), shown once when created. Kept as it is, since signing needs it (as
    /// Slack keeps its signing secrets); database backups are to be guarded like the key itself.
    /// </summary>
    public required string Secret { get; init; }

    /// <summary>The bot user answers are posted as (a member of the channel that cannot sign in).</summary>
    public required Guid BotUserId { get; init; }

    public required Guid CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The channel's newest seq already looked at: the dispatcher's cursor (durable, so a restart resumes here).</summary>
    public long LastSeq { get; set; }
}

public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

/// <summary>One message to deliver to one outgoing webhook, with its attempts: the delivery log its owner reads.</summary>
public sealed class OutgoingDelivery
{
    public long Id { get; init; }
    public required Guid WebhookId { get; init; }
    public required Guid MessageId { get; init; }
    public required long Seq { get; init; }
    public string Status { get; set; } = DeliveryStatus.Pending;
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; } = DateTimeOffset.UtcNow;
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? DeliveredAt { get; set; }
}

public sealed record CreateOutgoingWebhookRequest(string? Url, IReadOnlyList<string>? TriggerWords, string? Name);

/// <summary>An outgoing webhook as created: the only answer that holds its <see cref="Secret"/>.</summary>
public sealed record CreatedOutgoingWebhookDto(Guid Id, Guid ChannelId, string Url, IReadOnlyList<string> TriggerWords, Guid BotUserId, string Secret);

public sealed record OutgoingWebhookDto(Guid Id, Guid ChannelId, string Url, IReadOnlyList<string> TriggerWords, Guid BotUserId, DateTimeOffset CreatedAt)
{
    public static OutgoingWebhookDto From(OutgoingWebhook w) => new(w.Id, w.ChannelId, w.Url, w.TriggerWords, w.BotUserId, w.CreatedAt);
}

public sealed record DeliveryDto(long Id, Guid MessageId, long Seq, string Status, int Attempts, int? LastStatusCode, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, DateTimeOffset? NextAttemptAt);

/// <summary>What ChatAspire POSTs to an outgoing webhook (JSON, camelCase).</summary>
public sealed record OutgoingPayload(Guid WebhookId, long DeliveryId, Guid ChannelId, Guid MessageId, long Seq, Guid UserId, string UserName,
    string Text, string? TriggerWord, DateTimeOffset CreatedAt);

/// <summary>What an outgoing webhook may answer: text to post back as its bot (and optionally the name to show).</summary>
public sealed record OutgoingAnswer(string? Text, string? Username);
