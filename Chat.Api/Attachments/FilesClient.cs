using System.Net;

namespace Chat.Api.Attachments;

/// <summary>
/// Chat.Files (service discovery name <c>files</c>) called with Chat.Api's own service token, which Chat.Files lets read
/// and delete every file. Used by the export (reading attachments) and by retention (deleting the attachments of the
/// messages it deletes); nothing on the chat's paths calls Chat.Files.
/// </summary>
public sealed class FilesClient(HttpClient http)
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

    /// <summary>Deletes the file (its blob, and through files:events its RAG document and chunks); done when it is gone already.</summary>
    public async Task DeleteAsync(Guid fileId, CancellationToken ct)
    {
        using var response = await http.DeleteAsync($"/api/files/{fileId}", ct);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            response.EnsureSuccessStatusCode();
        }
    }
}
