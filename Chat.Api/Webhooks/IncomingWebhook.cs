namespace Chat.Api.Webhooks;

/// <summary>
/// An incoming webhook: a secret URL that posts into one channel as the webhook's bot user (a member of the channel that
/// cannot sign in). Only the SHA-256 of the secret is stored; the URL is shown once, when the webhook is created.
/// </summary>
public sealed class IncomingWebhook
{
    public const int MaxNameLength = 64;

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required Guid ChannelId { get; init; }
    public required string Name { get; init; }

    /// <summary>The bot user the webhook posts as.</summary>
    public required Guid BotUserId { get; init; }

    /// <summary>SHA-256 of the secret in the URL (hex).</summary>
    public required string SecretHash { get; init; }

    public required Guid CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

public sealed record CreateWebhookRequest(string? Name);

/// <summary>A webhook as created: <see cref="Url"/> holds its secret and is shown only here.</summary>
public sealed record CreatedWebhookDto(Guid Id, string Name, string Url);

/// <summary>A webhook as listed: no secret.</summary>
public sealed record WebhookDto(Guid Id, Guid ChannelId, string Name, Guid BotUserId, Guid CreatedBy, DateTimeOffset CreatedAt)
{
    public static WebhookDto From(IncomingWebhook w) => new(w.Id, w.ChannelId, w.Name, w.BotUserId, w.CreatedBy, w.CreatedAt);
}

/// <summary>What a Slack-style client posts: the text, and optionally the name to show it under.</summary>
public sealed record WebhookPayload(string? Text, string? Username);
