using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Chat.Api.Messages;

/// <summary>Display names for message senders, cached per replica (names change rarely; five minutes of staleness is fine).</summary>
public sealed class UserDirectory(IMemoryCache cache, IServiceScopeFactory scopes, ChatTelemetry telemetry)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    public async Task<IReadOnlyDictionary<Guid, string>> NamesAsync(IEnumerable<Guid> userIds, CancellationToken ct)
    {
        var result = new Dictionary<Guid, string>();
        var missing = new List<Guid>();
        foreach (var id in userIds.Distinct())
        {
            var hit = cache.TryGetValue(Key(id), out string? name);
            telemetry.CacheLookup("user_names", hit);
            if (hit)
            {
                result[id] = name!;
            }
            else
            {
                missing.Add(id);
            }
        }
        if (missing.Count > 0)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
            var loaded = await db.Users.AsNoTracking().Where(u => missing.Contains(u.Id)).Select(u => new { u.Id, u.DisplayName }).ToListAsync(ct);
            foreach (var u in loaded)
            {
                cache.Set(Key(u.Id), u.DisplayName, Lifetime);
                result[u.Id] = u.DisplayName;
            }
        }
        return result;
    }

    private static string Key(Guid id) => $"user-name:{id}";
}
