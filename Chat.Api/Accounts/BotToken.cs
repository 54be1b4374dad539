namespace Chat.Api.Accounts;

/// <summary>A bot account's token (stored hashed; shown once, when the admin creates the bot).</summary>
public sealed class BotToken
{
    /// <summary>Prefix of every bot token: tells a bot token from a JWT at a glance (and to secret scanners).</summary>
    public const string Prefix = "cab_";

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required Guid UserId { get; init; }
    public required string TokenHash { get; init; }
    public Guid? CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>A bot as admins see it (never its token, except once in <see cref="CreatedBotDto"/>).</summary>
public sealed record BotDto(Guid Id, string UserName, string DisplayName, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A new bot and its token: the only time the token is shown.</summary>
public sealed record CreatedBotDto(Guid Id, string UserName, string DisplayName, DateTimeOffset CreatedAt, string Token);

public sealed record CreateBotRequest(string? Name, string? DisplayName);
