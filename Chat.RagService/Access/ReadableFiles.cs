using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using ChatAspire.Contracts;
using StackExchange.Redis;

namespace Chat.RagService.Access;

/// <summary>
/// Asks Chat.Api (service discovery name <c>api</c>), with the caller's own token, which files were shared in channels
/// the caller can read. Chat.Api owns channels and messages; the RAG service only knows who uploaded a file. Answers
/// are cached in Redis under Chat.Api's visibility epoch (<see cref="FileVisibility"/>): while no attachment is posted or
/// deleted and no membership changes, a search asks Chat.Api nothing.
/// </summary>
public sealed class ReadableFiles(HttpClient http, IConnectionMultiplexer redis, RagTelemetry telemetry)
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);
    private const string Forbidden = "forbidden";

    /// <summary>Files shared in <paramref name="channelId"/> (or in every readable channel), or null when the caller may not read that channel.</summary>
    public async Task<IReadOnlySet<Guid>?> SharedAsync(Guid? channelId, ClaimsPrincipal caller, string bearerToken, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        var epoch = (long?)await db.StringGetAsync(FileVisibility.EpochKey) ?? 0;
        // The role is part of the key: what a user may read depends on it, and a role change issues new tokens.
        var key = $"rag:shared:{caller.FindFirst("sub")?.Value}:{caller.FindFirst("role")?.Value}:{channelId?.ToString("N") ?? "all"}:{epoch}";
        if (await db.StringGetAsync(key) is { HasValue: true } cached)
        {
            telemetry.Cache("rag_shared_files", hit: true);
            return (string)cached! == Forbidden ? null : JsonSerializer.Deserialize<Guid[]>((string)cached!)!.ToHashSet();
        }
        telemetry.Cache("rag_shared_files", hit: false);
        var shared = await AskAsync(channelId, bearerToken, ct);
        await db.StringSetAsync(key, shared is null ? Forbidden : JsonSerializer.Serialize(shared), CacheLifetime);
        return shared;
    }

    private async Task<IReadOnlySet<Guid>?> AskAsync(Guid? channelId, string bearerToken, CancellationToken ct)
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
