using System.Net;

namespace Chat.Api.Export;

/// <summary>
/// Reads an attachment's bytes from Chat.Files (service discovery name <c>files</c>) with Chat.Api's own service token:
/// Chat.Files lets services read every file. Used by the export only; nothing on the chat's paths calls Chat.Files.
/// </summary>
public sealed class FilesDownloads(HttpClient http)
{
    /// <summary>The file's response, its body not yet read; null when Chat.Files no longer has the file.</summary>
    public async Task<HttpResponseMessage?> OpenAsync(Guid fileId, CancellationToken ct)
    {
        var response = await http.GetAsync($"/api/files/{fileId}/content", HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }
        response.EnsureSuccessStatusCode();
        return response;
    }
}
