using System.Net.Http.Headers;

namespace Chat.Files.Storage;

/// <summary>
/// Asks Chat.Api (through service discovery) whether the caller is a member of a channel where the file was shared.
/// Chat.Api owns channels and messages, so it answers from its own data; the caller's own token is forwarded.
/// </summary>
public sealed class ChannelShares(HttpClient http)
{
    public async Task<bool> CallerMaySeeAsync(Guid fileId, string bearerToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/files/{fileId}/access");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        using var response = await http.SendAsync(request, ct);
        return response.IsSuccessStatusCode;
    }
}
