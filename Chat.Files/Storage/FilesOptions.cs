using System.ComponentModel.DataAnnotations;

namespace Chat.Files.Storage;

/// <summary>File service settings (section <c>Files</c>).</summary>
public sealed class FilesOptions
{
    public const string SectionName = "Files";

    /// <summary>Where blobs live. The AppHost sets it to the data folder (local) or a mounted volume (containers).</summary>
    [Required]
    public string StoragePath { get; set; } = "data/files";

    [Range(1, 10L * 1024 * 1024 * 1024)]
    public long MaxFileSize { get; set; } = 25 * 1024 * 1024;

    [Range(1, long.MaxValue)]
    public long UserQuotaBytes { get; set; } = 1024L * 1024 * 1024;
}
