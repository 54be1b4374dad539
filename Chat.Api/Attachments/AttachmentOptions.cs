using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Attachments;

/// <summary>Attachment settings (section <c>Attachments</c>).</summary>
public sealed class AttachmentOptions
{
    public const string SectionName = "Attachments";

    /// <summary>How long a send waits for a file uploaded a moment ago to become known here (its event is on the way from Chat.Files).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan NewFileWait { get; set; } = TimeSpan.FromSeconds(5);
}
