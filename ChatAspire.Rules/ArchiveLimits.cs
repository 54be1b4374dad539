using System.ComponentModel.DataAnnotations;
using System.IO.Compression;
using Microsoft.Extensions.DependencyInjection;

namespace ChatAspire.Rules;

/// <summary>
/// Bounds for zip-based uploads (DOCX today, any zip-based format tomorrow), section <c>Archives</c>: Chat.Files refuses
/// an archive beyond them before accepting it, and the RAG service checks again before it inflates anything, so no
/// upload can make a service inflate more than <see cref="MaxUncompressedBytes"/> (ASVS 5.2.3).
/// </summary>
public sealed class ArchiveLimits
{
    public const string SectionName = "Archives";

    [Range(1, 100_000)]
    public int MaxEntries { get; set; } = 2_000;

    /// <summary>Total bytes of every entry inflated, nested archives included.</summary>
    [Range(1024, 4L * 1024 * 1024 * 1024)]
    public long MaxUncompressedBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Inflated size over compressed size, for entries larger than <see cref="RatioCheckedFromBytes"/> (small files may compress extremely well).</summary>
    [Range(2, 100_000)]
    public int MaxCompressionRatio { get; set; } = 100;

    [Range(0, 1024L * 1024 * 1024)]
    public long RatioCheckedFromBytes { get; set; } = 1024 * 1024;

    /// <summary>Archives inside the archive (a workbook embedded in a document is one level).</summary>
    [Range(0, 5)]
    public int MaxNestingDepth { get; set; } = 1;
}

public static class ArchiveLimitsExtensions
{
    /// <summary>Binds <see cref="ArchiveLimits"/> (section <c>Archives</c>), validated at start.</summary>
    public static Microsoft.Extensions.Hosting.IHostApplicationBuilder AddArchiveLimits(this Microsoft.Extensions.Hosting.IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ArchiveLimits>().BindConfiguration(ArchiveLimits.SectionName).ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }
}

/// <summary>Checks a zip archive against <see cref="ArchiveLimits"/> by inflating it with a hard cap, never trusting its headers.</summary>
public static class ArchiveInspector
{
    /// <summary>Why the archive in <paramref name="zip"/> (seekable) is refused, or null when it is within the limits.</summary>
    public static string? Refusal(Stream zip, ArchiveLimits limits)
    {
        long inflated = 0;
        return Inspect(zip, limits, depth: 0, ref inflated);
    }

    private static string? Inspect(Stream zip, ArchiveLimits limits, int depth, ref long inflated)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException)
        {
            return "The archive is not a valid zip file.";
        }
        using (archive)
        {
            if (archive.Entries.Count > limits.MaxEntries)
            {
                return $"The archive has {archive.Entries.Count} entries; at most {limits.MaxEntries} are accepted.";
            }
            var buffer = new byte[81920];
            foreach (var entry in archive.Entries)
            {
                if (entry.Length > limits.RatioCheckedFromBytes && entry.Length / Math.Max(entry.CompressedLength, 1) > limits.MaxCompressionRatio)
                {
                    return $"The archive entry {Printable(entry.FullName)} inflates more than {limits.MaxCompressionRatio} times (a decompression bomb?).";
                }
                try
                {
                    using var content = entry.Open();
                    var head = new MemoryStream(); // the entry's bytes, kept only while it may be a nested archive
                    var maybeArchive = true;
                    long size = 0;
                    int read;
                    while ((read = content.Read(buffer)) > 0)
                    {
                        size += read;
                        inflated += read;
                        if (inflated > limits.MaxUncompressedBytes)
                        {
                            return $"The archive inflates to more than {limits.MaxUncompressedBytes / (1024 * 1024)} MB.";
                        }
                        if (size > limits.RatioCheckedFromBytes && size / Math.Max(entry.CompressedLength, 1) > limits.MaxCompressionRatio)
                        {
                            return $"The archive entry {Printable(entry.FullName)} inflates more than {limits.MaxCompressionRatio} times (a decompression bomb?).";
                        }
                        if (maybeArchive)
                        {
                            head.Write(buffer, 0, read);
                            if (head.Length >= 4 && !IsZip(head))
                            {
                                maybeArchive = false;
                                head.SetLength(0);
                            }
                        }
                    }
                    if (maybeArchive && IsZip(head))
                    {
                        if (depth + 1 > limits.MaxNestingDepth)
                        {
                            return $"The archive nests archives more than {limits.MaxNestingDepth} deep.";
                        }
                        head.Position = 0;
                        if (Inspect(head, limits, depth + 1, ref inflated) is { } nested)
                        {
                            return nested;
                        }
                    }
                }
                catch (InvalidDataException)
                {
                    return $"The archive entry {Printable(entry.FullName)} is corrupt.";
                }
            }
        }
        return null;
    }

    private static bool IsZip(MemoryStream head) =>
        head.Length >= 4 && head.GetBuffer().AsSpan(0, 4).SequenceEqual("PK\x03\x04"u8);

    private static string Printable(string name)
    {
        var clean = TextRules.StripForName(name);
        return $"\"{clean[..Math.Min(clean.Length, 80)]}\"";
    }
}
