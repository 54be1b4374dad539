namespace Chat.Api.Channels;

public sealed class ChannelMember
{
    public required Guid ChannelId { get; init; }
    public required Guid UserId { get; init; }
    public string Role { get; set; } = MemberRoles.Member;
    public long LastReadSeq { get; set; }
    public DateTimeOffset JoinedAt { get; init; } = DateTimeOffset.UtcNow;
}
