using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace Chat.Api.Accounts;

/// <summary>
/// Display names for message senders, cached per replica. A rename evicts the name on every replica at once (one Redis
/// message, <see cref="RenamedAsync"/>); the five-minute lifetime bounds what a lost message could leave stale.
/// </summary>
public sealed class UserDirectory(IMemoryCache cache, IServiceScopeFactory scopes, ChatTelemetry telemetry, IConnectionMultiplexer redis)
    : BackgroundService
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private static readonly RedisChannel Renames = RedisChannel.Literal("chataspire:user-renamed");

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

    /// <summary>After a display name change is committed: this replica and every other one forget the old name.</summary>
    public async Task RenamedAsync(Guid userId, string displayName)
    {
        cache.Set(Key(userId), displayName, Lifetime);
        // Fire-and-forget: the rename is committed; with Redis down, other replicas catch up within the cache lifetime.
        await redis.GetSubscriber().PublishAsync(Renames, userId.ToString(), CommandFlags.FireAndForget);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Fire-and-forget: a replica may start while Redis is down; the multiplexer subscribes again on every reconnect.
        var queue = await redis.GetSubscriber().SubscribeAsync(Renames, CommandFlags.FireAndForget);
        await using var _ = stoppingToken.Register(() => queue.Unsubscribe());
        try
        {
            await foreach (var message in queue.WithCancellation(stoppingToken))
            {
                if (Guid.TryParse(message.Message.ToString(), out var id))
                {
                    cache.Remove(Key(id));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static string Key(Guid id) => $"user-name:{id}";
}
