namespace Chat.Api.Channels;

/// <summary>A conversation space.</summary>
public sealed class Channel
{
    public const int MaxNameLength = 80;

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

public sealed record ChannelDto(Guid Id, string Name, DateTimeOffset CreatedAt)
{
    public static ChannelDto From(Channel c) => new(c.Id, c.Name, c.CreatedAt);
}
