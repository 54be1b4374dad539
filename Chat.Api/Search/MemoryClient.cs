using ChatAspire.Contracts;

namespace Chat.Api.Search;

/// <summary>Chat.Api's client for the RAG service's team memory (<c>POST /api/rag/memory</c>), with this service's own token.</summary>
public sealed class MemoryClient(HttpClient http)
{
    public async Task<MemorySearchResponse> SearchAsync(MemorySearchRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/rag/memory", request, ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<MemorySearchResponse>(ct) ?? new MemorySearchResponse([]);
    }
}
