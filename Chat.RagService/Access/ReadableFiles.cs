using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using ChatAspire.Contracts;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace Chat.RagService.Access;

/// <summary>
/// Asks Chat.Api (service discovery name <c>api</c>), with the caller's own token, which files were shared in channels
/// the caller can read. Chat.Api owns channels and messages; the RAG service only knows who uploaded a file. Answers
/// are cached in Redis under Chat.Api's visibility epoch (<see cref="FileVisibility"/>): while no attachment is posted or
/// deleted and no membership changes, a search asks Chat.Api nothing.
/// </summary>
/// <remarks>
/// The parsed answer is also kept in this replica's memory under the same key (it names the epoch), so a search whose
/// answer is known costs one Redis read.
/// </remarks>
public sealed class ReadableFiles(HttpClient http, IConnectionMultiplexer redis, IMemoryCache memory, RagTelemetry telemetry)
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);
    private const string Forbidden = "forbidden";

    /// <summary>Files shared in <paramref name="channelId"/> (or in every readable channel), or null when the caller may not read that channel.</summary>
    public async Task<SharedFiles?> SharedAsync(Guid? channelId, ClaimsPrincipal caller, string bearerToken, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        var epoch = (long?)await db.StringGetAsync(FileVisibility.EpochKey) ?? 0;
        // The role is part of the key: what a user may read depends on it, and a role change issues new tokens.
        var role = caller.FindFirst(ChatAspire.ServiceDefaults.Auth.TokenIdentity.RoleClaim)?.Value;
        var key = $"rag:shared:{caller.FindFirst(ChatAspire.ServiceDefaults.Auth.TokenIdentity.SubjectClaim)?.Value}:{role}:{channelId?.ToString("N") ?? "all"}:{epoch}";
        if (memory.TryGetValue(key, out SharedFiles? known))
        {
            telemetry.Cache("rag_shared_files", hit: true);
            return known;
        }
        IReadOnlySet<Guid>? files;
        if (await db.StringGetAsync(key) is { HasValue: true } cached)
        {
            telemetry.Cache("rag_shared_files", hit: true);
            files = (string)cached! == Forbidden ? null : JsonSerializer.Deserialize<Guid[]>((string)cached!)!.ToHashSet();
        }
        else
        {
            telemetry.Cache("rag_shared_files", hit: false);
            files = await AskAsync(channelId, bearerToken, ct);
            await db.StringSetAsync(key, files is null ? Forbidden : JsonSerializer.Serialize(files), CacheLifetime);
        }
        var shared = files is null ? null : new SharedFiles(files, $"{role}:{epoch}");
        memory.Set(key, shared, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheLifetime, Size = (files?.Count ?? 0) + 1 });
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

/// <summary>Files shared with a caller, and a stamp that changes whenever they may have (role and visibility epoch).</summary>
public sealed record SharedFiles(IReadOnlySet<Guid> Files, string Stamp);
