using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace Chat.RagService.Memory;

/// <summary>The channels and files a person or bot may read now, as Chat.Api answers them.</summary>
public sealed record Readable(IReadOnlyList<Guid> Channels, IReadOnlyList<Guid> Files);

/// <summary>
/// Asks Chat.Api (<c>GET /api/me/readable</c>, with the caller's own token) what the caller may read: Chat.Api owns the
/// rule for channels and files alike. The answer is kept in this replica's memory and in Redis under Chat.Api's
/// visibility epoch (<see cref="FileVisibility"/>), which every membership change, new channel and attachment moves: a
/// change takes effect on the next search, and while nothing changes a search asks Chat.Api nothing.
/// </summary>
public sealed class ReadableScope(HttpClient http, IConnectionMultiplexer redis, IMemoryCache memory, RagTelemetry telemetry)
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);

    public async Task<Readable> OfAsync(ClaimsPrincipal caller, string bearerToken, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        var epoch = (long?)await db.StringGetAsync(FileVisibility.EpochKey) ?? 0;
        var key = $"rag:readable:{caller.FindFirst(TokenIdentity.SubjectClaim)?.Value}:{caller.FindFirst(TokenIdentity.RoleClaim)?.Value}:{epoch}";
        if (memory.TryGetValue(key, out Readable? known) && known is not null)
        {
            telemetry.Cache("rag_readable", hit: true);
            return known;
        }
        Readable readable;
        if (await db.StringGetAsync(key) is { HasValue: true } cached)
        {
            telemetry.Cache("rag_readable", hit: true);
            readable = JsonSerializer.Deserialize<Readable>((string)cached!, JsonSerializerOptions.Web)!;
        }
        else
        {
            telemetry.Cache("rag_readable", hit: false);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me/readable");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
            using var response = await http.SendAsync(request, ct);
            response.EnsureSuccessStatusCode();
            readable = await response.Content.ReadFromJsonAsync<Readable>(JsonSerializerOptions.Web, ct) ?? new Readable([], []);
            await db.StringSetAsync(key, JsonSerializer.Serialize(readable, JsonSerializerOptions.Web), CacheLifetime);
        }
        memory.Set(key, readable, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheLifetime, Size = readable.Channels.Count + readable.Files.Count + 1 });
        return readable;
    }
}
