using System.IO.Compression;
using System.Text;

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

    /// <summary>The accepted content type of a complete file, or null (→ 415) when the bytes are not an accepted kind or disagree with the name.</summary>
    public static string? Decide(string path, string fileName)
    {
        var detected = Sniff(path);
        if (detected is null)
        {
            return null;
        }
        var extension = Path.GetExtension(fileName);
        if (extension.Length == 0)
        {
            return detected;
        }
        if (!ByExtension.TryGetValue(extension, out var claimed))
        {
            return null;
        }
        if (detected == Text)
        {
            // Text is text: the name says which kind (JSON must also parse).
            if (!IsText(claimed) || (claimed == Json && !IsValidJson(path)))
            {
                return null;
            }
            return claimed;
        }
        return claimed == detected ? detected : null;
    }

    private static string? Sniff(string path)
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
            return Pdf;
        }
        if (h.StartsWith(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
        {
            return Png;
        }
        if (h.StartsWith(new byte[] { 0xFF, 0xD8, 0xFF }))
        {
            return Jpeg;
        }
        if (h.StartsWith("GIF87a"u8) || h.StartsWith("GIF89a"u8))
        {
            return Gif;
        }
        if (h.Length >= 12 && h.StartsWith("RIFF"u8) && h[8..12].SequenceEqual("WEBP"u8))
        {
            return Webp;
        }
        if (h.StartsWith("PK\x03\x04"u8))
        {
            return IsDocx(path) ? Docx : null;
        }
        return IsUtf8Text(path) ? Text : null;
    }

    private static bool IsDocx(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.GetEntry("[Content_Types].xml") is not null && zip.GetEntry("word/document.xml") is not null;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Valid UTF-8 with no NUL and few control characters: what people mean by a text file.</summary>
    private static bool IsUtf8Text(string path)
    {
        var decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
        var bytes = new byte[64 * 1024];
        var chars = new char[64 * 1024 + 4];
        using var file = File.OpenRead(path);
        try
        {
            int read;
            while ((read = file.Read(bytes)) > 0)
            {
                var n = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
                foreach (var c in chars.AsSpan(0, n))
                {
                    if (c == '\0' || (char.IsControl(c) && c is not ('\n' or '\r' or '\t' or '\f')))
                    {
                        return false;
                    }
                }
            }
            decoder.GetChars([], 0, 0, chars, 0, flush: true);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
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
