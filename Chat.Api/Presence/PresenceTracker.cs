using StackExchange.Redis;

namespace Chat.Api.Presence;

/// <summary>
/// Who is online, across replicas, in Redis. Each replica keeps a hash of its connections (connection id → user id)
/// that expires unless its heartbeat refreshes it, and a score in <c>presence:replicas</c>; a crashed replica's users
/// therefore drop out within <see cref="ReplicaTimeout"/>.
/// </summary>
public sealed class PresenceTracker(IConnectionMultiplexer redis, TimeProvider clock)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan ReplicaTimeout = TimeSpan.FromSeconds(30);

    private const string Replicas = "chat:presence:replicas";
    private static string ReplicaKey(string replica) => $"chat:presence:replica:{replica}";
    private static string UserKey(Guid userId) => $"chat:presence:user:{userId}";

    /// <summary>This process' identity among the replicas.</summary>
    public string ReplicaId { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Records a connection; true when the user was offline everywhere before it.</summary>
    public async Task<bool> ConnectedAsync(Guid userId, string connectionId)
    {
        var wasOnline = await IsOnlineAsync(userId);
        var db = redis.GetDatabase();
        var batch = db.CreateBatch();
        var tasks = new Task[]
        {
            batch.HashSetAsync(ReplicaKey(ReplicaId), connectionId, userId.ToString()),
            batch.KeyExpireAsync(ReplicaKey(ReplicaId), ReplicaTimeout),
            batch.SortedSetAddAsync(Replicas, ReplicaId, Now()),
            batch.SetAddAsync(UserKey(userId), Member(ReplicaId, connectionId)),
        };
        batch.Execute();
        await Task.WhenAll(tasks);
        return !wasOnline;
    }

    /// <summary>Forgets a connection; true when the user has no live connection left anywhere.</summary>
    public async Task<bool> DisconnectedAsync(Guid userId, string connectionId)
    {
        var db = redis.GetDatabase();
        await db.HashDeleteAsync(ReplicaKey(ReplicaId), connectionId);
        await db.SetRemoveAsync(UserKey(userId), Member(ReplicaId, connectionId));
        return !await IsOnlineAsync(userId);
    }

    public async Task<bool> IsOnlineAsync(Guid userId) => (await ConnectionsOfAsync(userId)).Count > 0;

    /// <summary>Live connection ids of a user on every replica that is still heartbeating; stale entries are pruned.</summary>
    public async Task<IReadOnlyList<string>> ConnectionsOfAsync(Guid userId)
    {
        var db = redis.GetDatabase();
        var live = await LiveReplicasAsync();
        var result = new List<string>();
        foreach (var member in await db.SetMembersAsync(UserKey(userId)))
        {
            var (replica, connection) = Split(member!);
            if (live.Contains(replica))
            {
                result.Add(connection);
            }
            else
            {
                await db.SetRemoveAsync(UserKey(userId), member);
            }
        }
        return result;
    }

    public async Task<HashSet<Guid>> OnlineUsersAsync()
    {
        var db = redis.GetDatabase();
        var users = new HashSet<Guid>();
        foreach (var replica in await LiveReplicasAsync())
        {
            foreach (var value in await db.HashValuesAsync(ReplicaKey(replica)))
            {
                if (Guid.TryParse(value.ToString(), out var id))
                {
                    users.Add(id);
                }
            }
        }
        return users;
    }

    /// <summary>Keeps this replica's entries alive and prunes replicas that stopped heartbeating.</summary>
    public async Task HeartbeatAsync()
    {
        var db = redis.GetDatabase();
        await db.SortedSetAddAsync(Replicas, ReplicaId, Now());
        await db.KeyExpireAsync(ReplicaKey(ReplicaId), ReplicaTimeout);
        await db.SortedSetRemoveRangeByScoreAsync(Replicas, double.NegativeInfinity, Now() - ReplicaTimeout.TotalSeconds);
    }

    /// <summary>Removes this replica at shutdown so its users go offline at once.</summary>
    public async Task ShutdownAsync()
    {
        var db = redis.GetDatabase();
        await db.SortedSetRemoveAsync(Replicas, ReplicaId);
        await db.KeyDeleteAsync(ReplicaKey(ReplicaId));
    }

    private async Task<HashSet<string>> LiveReplicasAsync()
    {
        var values = await redis.GetDatabase().SortedSetRangeByScoreAsync(Replicas, Now() - ReplicaTimeout.TotalSeconds);
        return [.. values.Select(v => v.ToString())];
    }

    private double Now() => clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    private static string Member(string replica, string connection) => $"{replica}|{connection}";

    private static (string Replica, string Connection) Split(string member)
    {
        var bar = member.IndexOf('|', StringComparison.Ordinal);
        return (member[..bar], member[(bar + 1)..]);
    }
}

internal static partial class PresenceLog
{
    [LoggerMessage(EventId = 2103, EventName = "presence_heartbeat_failed", Level = LogLevel.Warning, Message = "Presence heartbeat failed: {Error}")]
    public static partial void HeartbeatFailed(ILogger logger, string error);
}
