using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Webhooks;

/// <summary>Outgoing webhooks (section <c>Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// Whether an outgoing webhook may call a private, loopback or link-local address (the machine itself, the cloud's
    /// metadata service, the internal network). Off by default: a channel owner could otherwise reach what only the
    /// server can (SSRF). The check is made on the address actually connected to, so DNS cannot get around it.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Attempts per delivery before it is marked failed (with backoff between them: 2 s, 4 s, 8 s, … at most 5 min).</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>How long one delivery may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the dispatcher looks for new messages and due deliveries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
