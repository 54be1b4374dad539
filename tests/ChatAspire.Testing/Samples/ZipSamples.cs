using System.IO.Compression;
using System.Text;

namespace ChatAspire.Testing;

/// <summary>Hostile zip archives: decompression bombs, nesting, width (issue #13).</summary>
public static class ZipSamples
{
    /// <summary>A DOCX whose word/document.xml inflates to <paramref name="inflated"/> bytes (one repeated letter).</summary>
    public static byte[] Bomb(int inflated)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, "[Content_Types].xml", Encoding.UTF8.GetBytes("<Types/>"));
            using var document = zip.CreateEntry("word/document.xml", CompressionLevel.SmallestSize).Open();
            document.Write("<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>"u8);
            var chunk = new byte[1024 * 1024];
            chunk.AsSpan().Fill((byte)'a');
            for (var written = 0; written < inflated; written += chunk.Length)
            {
                document.Write(chunk);
            }
            document.Write("</w:t></w:r></w:p></w:body></w:document>"u8);
        }
        return buffer.ToArray();
    }

    /// <summary>A DOCX holding an archive that holds an archive … <paramref name="depth"/> levels deep.</summary>
    public static byte[] Nested(int depth)
    {
        var inner = Encoding.UTF8.GetBytes("innermost");
        for (var level = 0; level < depth; level++)
        {
            using var buffer = new MemoryStream();
            using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            {
                Write(zip, level == 0 ? "data.txt" : "inner.zip", inner);
            }
            inner = buffer.ToArray();
        }
        using var docx = new MemoryStream();
        using (var zip = new ZipArchive(docx, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, "[Content_Types].xml", Encoding.UTF8.GetBytes("<Types/>"));
            Write(zip, "word/document.xml", Encoding.UTF8.GetBytes("<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body/></w:document>"));
            Write(zip, "word/embeddings/package.zip", inner);
        }
        return docx.ToArray();
    }

    /// <summary>Many modest entries of random bytes (no compression ratio to speak of) that together are large.</summary>
    public static byte[] Wide(int entries, int bytesEach)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, "[Content_Types].xml", Encoding.UTF8.GetBytes("<Types/>"));
            var block = new byte[bytesEach];
            new Random(7).NextBytes(block);
            for (var i = 0; i < entries; i++)
            {
                using var entry = zip.CreateEntry($"word/media/{i}.bin", CompressionLevel.NoCompression).Open();
                entry.Write(block);
            }
        }
        return buffer.ToArray();
    }

    private static void Write(ZipArchive zip, string name, byte[] content)
    {
        using var entry = zip.CreateEntry(name).Open();
        entry.Write(content);
    }
}
