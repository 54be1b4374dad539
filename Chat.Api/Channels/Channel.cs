namespace Chat.Api.Channels;

public static class ChannelKinds
{
    public const string Public = "public";
    public const string Private = "private";
    public const string Direct = "direct";

    public static readonly string[] All = [Public, Private, Direct];
}

public static class MemberRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Moderator = "moderator";
    public const string Member = "member";

    public static bool CanModerate(string role) => role is Owner or Admin or Moderator;

    public static bool CanManage(string role) => role is Owner or Admin;
}

/// <summary>A conversation space: public (anyone may read and join), private (members only) or direct (two people).</summary>
public sealed class Channel
{
    public const int MaxNameLength = 80;
    public const int MaxTopicLength = 500;

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public string Kind { get; init; } = ChannelKinds.Public;
    public string? Topic { get; set; }
    public Guid? CreatedBy { get; init; }

    /// <summary>For direct channels: the two user ids, ordered, so a pair has at most one channel.</summary>
    public string? DirectKey { get; init; }

    /// <summary>The sequence number of the newest message: bumped in the inserting transaction, so numbers have no gaps.</summary>
    public long LastSeq { get; set; }

    public bool AiMode { get; set; }

    /// <summary>
    /// The newest message written before the team memory's feed existed and not yet handed to it (0: none left; see
    /// <c>Messages.MemoryBackfill</c>). Set to <see cref="LastSeq"/> by the migration that added the feed.
    /// </summary>
    public long MemoryBackfillSeq { get; set; }

    /// <summary>
    /// How long messages are kept: null follows the global default (<c>Retention:DefaultDays</c>), 0 keeps them forever,
    /// N deletes what is older than N days (Chat.Api.Retention).
    /// </summary>
    public int? RetentionDays { get; set; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? ArchivedAt { get; set; }
}

public sealed record ChannelDto(Guid Id, string Name, string Kind, string? Topic, bool AiMode, long LastSeq, DateTimeOffset CreatedAt, bool Archived,
    string? MyRole, long? UnreadCount)
{
    public static ChannelDto From(Channel c, ChannelMember? me) =>
        new(c.Id, c.Name, c.Kind, c.Topic, c.AiMode, c.LastSeq, c.CreatedAt, c.ArchivedAt is not null, me?.Role,
            me is null ? null : Math.Max(0, c.LastSeq - me.LastReadSeq));
}

public sealed record MemberDto(Guid UserId, string UserName, string DisplayName, string Role, bool Online);
