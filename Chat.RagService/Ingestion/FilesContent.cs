using System.Net;
using Microsoft.Extensions.Options;

namespace Chat.RagService.Ingestion;

/// <summary>Downloads a file from Chat.Files (service discovery name <c>files</c>) with this service's own token.</summary>
public sealed class FilesContent(HttpClient http, IOptions<IngestionOptions> options)
{
    /// <summary>The file's bytes, or null when the file no longer exists (deleted after it was uploaded).</summary>
    /// <exception cref="ExtractionException">The file is larger than <see cref="IngestionOptions.MaxFileBytes"/>.</exception>
    public async Task<Stream?> OpenAsync(Guid fileId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/files/{fileId}/content", HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        // Buffered into a seekable stream (PdfPig and the OpenXml SDK both need to seek), and bounded: no file may make
        // this service hold more than MaxFileBytes of it, whatever its Content-Length says.
        var max = options.Value.MaxFileBytes;
        if (response.Content.Headers.ContentLength > max)
        {
            throw TooLarge(max);
        }
        var buffer = new MemoryStream();
        await using (var body = await response.Content.ReadAsStreamAsync(ct))
        {
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > max)
                {
                    throw TooLarge(max);
                }
                buffer.Write(chunk, 0, read);
            }
        }
        buffer.Position = 0;
        return buffer;
    }

    private static ExtractionException TooLarge(long max) => new($"The file is larger than the {max / (1024 * 1024)} MB this service reads.");
}
