using System.IO.Compression;
using ChatAspire.Rules;

namespace Chat.Files.Storage;

/// <summary>
/// Decides a file's type from its bytes (magic numbers, structure), then checks the name's extension agrees.
/// The client's Content-Type header is never consulted.
/// </summary>
public static class ContentTypes
{
    public const string Text = "text/plain";
    public const string Markdown = "text/markdown";
    public const string Csv = "text/csv";
    public const string Json = "application/json";
    public const string Html = "text/html";
    public const string Pdf = "application/pdf";
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Gif = "image/gif";
    public const string Webp = "image/webp";
    public const string Docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = Text, [".text"] = Text, [".log"] = Text,
        [".md"] = Markdown, [".markdown"] = Markdown,
        [".csv"] = Csv,
        [".json"] = Json,
        [".html"] = Html, [".htm"] = Html,
        [".pdf"] = Pdf,
        [".png"] = Png,
        [".jpg"] = Jpeg, [".jpeg"] = Jpeg,
        [".gif"] = Gif,
        [".webp"] = Webp,
        [".docx"] = Docx,
    };

    public static bool IsImage(string contentType) => contentType.StartsWith("image/", StringComparison.Ordinal);

    public static bool IsText(string contentType) => contentType is Text or Markdown or Csv or Json or Html;

    public const string AcceptedKinds = "text, Markdown, CSV, JSON, HTML, PDF, PNG, JPEG, GIF, WebP and DOCX";

    /// <summary>What the bytes and name of an upload say: its accepted content type, or why it is refused.</summary>
    public sealed record Decision(string? ContentType, string? Refusal, bool IsArchiveRefusal = false)
    {
        public static Decision Refuse(string reason) => new(null, reason);
    }

    /// <summary>The accepted content type of a complete file, or the reason (→ 415, 422 for an archive beyond the limits) it is refused.</summary>
    /// <param name="text">The text rule's verdict when it was checked as the file was received (null: read the file for it).</param>
    public static Decision Decide(string path, string fileName, ArchiveLimits archives, Utf8TextCheck? text = null)
    {
        var sniffed = Sniff(path, archives, text);
        if (sniffed.ContentType is not { } detected)
        {
            return sniffed;
        }
        var extension = Path.GetExtension(fileName);
        if (extension.Length == 0)
        {
            return sniffed;
        }
        if (!ByExtension.TryGetValue(extension, out var claimed))
        {
            return Decision.Refuse($"Files named *{extension} are not accepted. Accepted: {AcceptedKinds}.");
        }
        if (detected == Text)
        {
            // Text is text: the name says which kind (JSON must also parse).
            if (!IsText(claimed))
            {
                return Decision.Refuse($"The file is text, but its name ends in {extension}.");
            }
            if (claimed == Json && !IsValidJson(path))
            {
                return Decision.Refuse("The file is named .json but is not valid JSON.");
            }
            return new Decision(claimed, null);
        }
        return claimed == detected ? sniffed : Decision.Refuse($"The content is {detected}, but the name ends in {extension}.");
    }

    private static Decision Sniff(string path, ArchiveLimits archives, Utf8TextCheck? text)
    {
        Span<byte> head = stackalloc byte[16];
        int read;
        using (var file = File.OpenRead(path))
        {
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        var h = head[..read];
        if (h.StartsWith("%PDF-"u8))
        {
            return new Decision(Pdf, null);
        }
        if (h.StartsWith(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
        {
            return new Decision(Png, null);
        }
        if (h.StartsWith(new byte[] { 0xFF, 0xD8, 0xFF }))
        {
            return new Decision(Jpeg, null);
        }
        if (h.StartsWith("GIF87a"u8) || h.StartsWith("GIF89a"u8))
        {
            return new Decision(Gif, null);
        }
        if (h.Length >= 12 && h.StartsWith("RIFF"u8) && h[8..12].SequenceEqual("WEBP"u8))
        {
            return new Decision(Webp, null);
        }
        if (h.StartsWith("PK\x03\x04"u8))
        {
            return ZipDocument(path, archives);
        }
        return text is null ? Utf8Text(path) : text.Complete() is { } refusal ? Decision.Refuse(refusal) : new Decision(Text, null);
    }

    /// <summary>A zip is accepted only as a DOCX, and only within the archive limits (checked by inflating it with a cap).</summary>
    private static Decision ZipDocument(string path, ArchiveLimits archives)
    {
        using (var file = File.OpenRead(path))
        {
            if (ArchiveInspector.Refusal(file, archives) is { } refusal)
            {
                return new Decision(null, refusal, IsArchiveRefusal: true);
            }
        }
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.GetEntry("[Content_Types].xml") is not null && zip.GetEntry("word/document.xml") is not null
                ? new Decision(Docx, null)
                : Decision.Refuse("The file is a zip archive but not a DOCX document (no word/document.xml).");
        }
        catch (InvalidDataException)
        {
            return Decision.Refuse("The file starts like a zip archive but is not a valid one.");
        }
    }

    /// <summary>The text rule (<see cref="Utf8TextCheck"/>) over a whole file, for a file not checked while it was received.</summary>
    private static Decision Utf8Text(string path)
    {
        var check = new Utf8TextCheck();
        var bytes = new byte[64 * 1024];
        using var file = File.OpenRead(path);
        int read;
        while (check.Refusal is null && (read = file.Read(bytes)) > 0)
        {
            check.Append(bytes.AsSpan(0, read));
        }
        return check.Complete() is { } refusal ? Decision.Refuse(refusal) : new Decision(Text, null);
    }

    private static bool IsValidJson(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var _ = System.Text.Json.JsonDocument.Parse(file);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
