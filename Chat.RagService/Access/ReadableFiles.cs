using System.Net;
using System.Net.Http.Headers;

namespace Chat.RagService.Access;

/// <summary>
/// Asks Chat.Api (service discovery name <c>api</c>), with the caller's own token, which files were shared in channels
/// the caller can read. Chat.Api owns channels and messages; the RAG service only knows who uploaded a file.
/// </summary>
public sealed class ReadableFiles(HttpClient http)
{
    /// <summary>Files shared in <paramref name="channelId"/> (or in every readable channel), or null when the caller may not read that channel.</summary>
    public async Task<IReadOnlySet<Guid>?> SharedAsync(Guid? channelId, string bearerToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, channelId is { } id ? $"/api/files/shared?channelId={id}" : "/api/files/shared");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        using var response = await http.SendAsync(request, ct);
        if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<Guid[]>(ct) ?? []).ToHashSet();
    }
}
