using System.Net;

namespace Chat.RagService.Ingestion;

/// <summary>Downloads a file from Chat.Files (service discovery name <c>files</c>) with this service's own token.</summary>
public sealed class FilesContent(HttpClient http)
{
    /// <summary>The file's bytes, or null when the file no longer exists (deleted after it was uploaded).</summary>
    public async Task<Stream?> OpenAsync(Guid fileId, CancellationToken ct)
    {
        var response = await http.GetAsync($"/api/files/{fileId}/content", HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }
        response.EnsureSuccessStatusCode();
        // Buffered into a seekable stream: PdfPig and the OpenXml SDK both need to seek.
        var buffer = new MemoryStream();
        await using (var body = await response.Content.ReadAsStreamAsync(ct))
        {
            await body.CopyToAsync(buffer, ct);
        }
        response.Dispose();
        buffer.Position = 0;
        return buffer;
    }
}
