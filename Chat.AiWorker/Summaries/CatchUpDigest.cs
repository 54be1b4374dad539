using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Chat.AiWorker.Summaries;

/// <summary>
/// Chat.Api's extractive digest (<c>GET /api/channels/{id}/catch-up</c>) read with the reader's own token: Chat.Api
/// decides what the reader may see, so the model is only ever shown messages the reader could open themselves.
/// </summary>
public sealed class CatchUpDigest(HttpClient http)
{
    public sealed record Participant(Guid UserId, string Name, int Messages);

    public sealed record Message(Guid Id, Guid ChannelId, long Seq, string SenderName, string Content, DateTimeOffset CreatedAt);

    public sealed record Highlight(Message Message, int ThreadSize, string Why);

    public sealed record Digest(Guid ChannelId, long FromSeq, long ToSeq, int Unread, IReadOnlyList<Participant> Participants,
        IReadOnlyList<Highlight> Highlights);

    /// <summary>The digest, or Chat.Api's refusal (status and problem body) to pass on as it is.</summary>
    public async Task<(Digest? Digest, HttpStatusCode Status, string? Problem)> GetAsync(Guid channelId, long? after, int limit, string bearerToken,
        CancellationToken ct)
    {
        var query = after is { } a ? $"?after={a}&limit={limit}" : $"?limit={limit}";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/channels/{channelId}/catch-up{query}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            return (null, response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }
        return (await response.Content.ReadFromJsonAsync<Digest>(JsonSerializerOptions.Web, ct), response.StatusCode, null);
    }
}
