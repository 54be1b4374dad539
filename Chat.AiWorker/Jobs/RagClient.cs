using System.Text.Json;
using ChatAspire.Contracts;

namespace Chat.AiWorker.Jobs;

/// <summary>Chat.RagService (service discovery name <c>rag</c>): the channel's documents and its messages (the team memory), searched as the worker.</summary>
public sealed class RagClient(HttpClient http)
{
    public async Task<IReadOnlyList<RagHit>> SearchAsync(string question, Guid channelId, int topK, CancellationToken ct)
    {
        var request = new RagSearchRequest(question.Length > 1000 ? question[..1000] : question, ChannelId: channelId, TopK: topK, Mode: RagSearchModes.Chunks);
        using var response = await http.PostAsJsonAsync("/api/rag/search", request, JsonSerializerOptions.Web, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RagSearchResponse>(JsonSerializerOptions.Web, ct))?.Hits ?? [];
    }

    /// <summary>The channel's messages that answer <paramref name="question"/> best (its documents come from <see cref="SearchAsync"/>).</summary>
    public async Task<IReadOnlyList<MemoryHit>> MessagesAsync(string question, Guid channelId, int topK, CancellationToken ct)
    {
        var request = new MemorySearchRequest(question.Length > 1000 ? question[..1000] : question, [channelId], null, topK);
        using var response = await http.PostAsJsonAsync("/api/rag/memory", request, JsonSerializerOptions.Web, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<MemorySearchResponse>(JsonSerializerOptions.Web, ct))?.Hits ?? [];
    }
}
