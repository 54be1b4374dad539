using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;

namespace ChatAspire.Testing;

/// <summary>Small, real files of every accepted kind, and a raw multipart builder for hostile names.</summary>
public static class Samples
{
    /// <summary>A file name of every accepted kind, with the content type Chat.Files gives it.</summary>
    public static IReadOnlyList<(string Name, string ContentType)> Accepted { get; } =
    [
        ("notes.txt", "text/plain"),
        ("readme.md", "text/markdown"),
        ("table.csv", "text/csv"),
        ("data.json", "application/json"),
        ("page.html", "text/html"),
        ("paper.pdf", "application/pdf"),
        ("pixel.png", "image/png"),
        ("photo.jpg", "image/jpeg"),
        ("anim.gif", "image/gif"),
        ("pic.webp", "image/webp"),
        ("letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ];

    public static byte[] For(string name)
    {
        var unique = Guid.NewGuid().ToString("N"); // distinct bytes per test, so dedupe never crosses tests
        return Path.GetExtension(name) switch
        {
            ".txt" => Encoding.UTF8.GetBytes($"hello world {unique}\nsecond line\n"),
            ".md" => Encoding.UTF8.GetBytes($"# Title\n\nSome *markdown* {unique}.\n"),
            ".csv" => Encoding.UTF8.GetBytes($"id,name\n1,{unique}\n"),
            ".json" => Encoding.UTF8.GetBytes($$"""{"id":"{{unique}}","ok":true}"""),
            ".html" => Encoding.UTF8.GetBytes($"<!doctype html><title>Page</title><h1>Heading</h1><p>{unique}</p>\n"),
            ".pdf" => Encoding.ASCII.GetBytes($"%PDF-1.4\n1 0 obj <<>> endobj\n% {unique}\ntrailer <<>>\n%%EOF\n"),
            ".png" => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. Encoding.ASCII.GetBytes(unique)],
            ".jpg" => [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, .. Encoding.ASCII.GetBytes("JFIF" + unique), 0xFF, 0xD9],
            ".gif" => [.. Encoding.ASCII.GetBytes("GIF89a" + unique)],
            ".webp" => [.. Encoding.ASCII.GetBytes("RIFF"), 0x24, 0, 0, 0, .. Encoding.ASCII.GetBytes("WEBPVP8 " + unique)],
            ".docx" => Docx(unique),
            _ => throw new ArgumentException(name),
        };
    }

    /// <summary>A real 1×1 PNG that browsers render.</summary>
    public static byte[] TinyPng() => Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    public static byte[] Executable() => [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, .. Encoding.ASCII.GetBytes(Guid.NewGuid().ToString())];

    private static byte[] Docx(string text)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string entry, string content)
            {
                using var writer = new StreamWriter(zip.CreateEntry(entry).Open());
                writer.Write(content);
            }
            Add("[Content_Types].xml", """<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>""");
            Add("word/document.xml", $"""<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>""");
        }
        return buffer.ToArray();
    }

    /// <summary>A multipart body written byte by byte, so a test can send any filename, control characters included.</summary>
    public static HttpContent Multipart(string rawFileName, byte[] bytes)
    {
        const string boundary = "----chataspire-test-boundary";
        var head = Encoding.UTF8.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{rawFileName}\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        var content = new ByteArrayContent([.. head, .. bytes, .. tail]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        return content;
    }

    /// <summary>A multipart body whose file part streams <paramref name="length"/> bytes of text without holding them.</summary>
    public static HttpContent LargeText(string name, long length)
    {
        var form = new MultipartFormDataContent();
        var part = new StreamContent(new RepeatingStream(length));
        form.Add(part, "file", name);
        return form;
    }

    private sealed class RepeatingStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            buffer.AsSpan(offset, n).Fill((byte)'a');
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
