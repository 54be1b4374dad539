using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Messages;

/// <summary>Message limits (section <c>Messages</c>).</summary>
public sealed class MessagesOptions
{
    public const string SectionName = "Messages";

    [Range(1, 100_000)]
    public int MaxLength { get; set; } = 4000;

    [Range(0, 50)]
    public int MaxAttachments { get; set; } = 10;

    /// <summary>Messages a user may send in a burst (token bucket, per user, per replica).</summary>
    [Range(1, 10_000)]
    public int SendBurst { get; set; } = 20;

    /// <summary>Tokens returned to each user's bucket per second.</summary>
    [Range(1, 10_000)]
    public int SendPerSecond { get; set; } = 5;

    [Range(1, 500)]
    public int MaxPageSize { get; set; } = 100;
}
