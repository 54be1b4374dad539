using System.Net;
using System.Text.Json;
using ChatAspire.Contracts;

namespace Chat.AiWorker.Jobs;

/// <summary>Chat.Api (service discovery name <c>api</c>) as the worker uses it, with the worker's service token.</summary>
public sealed class ChatApiClient(HttpClient http)
{
    public sealed record HistoryMessage(Guid Id, long Seq, Guid SenderId, string SenderName, string Type, string Content, bool Deleted);

    public sealed record JobState(Guid Id, string Status, Guid? ReplyMessageId);

    public async Task<JobState?> JobAsync(Guid jobId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/ai/jobs/{jobId}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JobState>(JsonSerializerOptions.Web, ct);
    }

    /// <summary>The messages before and including <paramref name="uptoSeq"/>, oldest first.</summary>
    public async Task<IReadOnlyList<HistoryMessage>> HistoryAsync(Guid channelId, long uptoSeq, int limit, CancellationToken ct) =>
        await http.GetFromJsonAsync<HistoryMessage[]>($"/api/channels/{channelId}/messages?before={uptoSeq + 1}&limit={limit}", JsonSerializerOptions.Web, ct) ?? [];

    /// <summary>Posts the final reply; a repeat for the same job returns the reply already stored.</summary>
    public async Task PostReplyAsync(AiReplyRequest reply, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/ai/replies", reply, JsonSerializerOptions.Web, ct);
        response.EnsureSuccessStatusCode();
    }
}
