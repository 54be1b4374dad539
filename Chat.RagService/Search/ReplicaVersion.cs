using StackExchange.Redis;

namespace Chat.RagService.Search;

/// <summary>
/// How a replica keeps an in-memory index in step with Postgres: every change bumps a version number in Redis
/// (<see cref="BumpAsync"/>); before a search, <see cref="EnsureCurrentAsync"/> compares it with the version this
/// replica last applied and, when it moved, runs the refresh once (concurrent searches wait for that one run).
/// </summary>
public sealed class ReplicaVersion(IConnectionMultiplexer redis, string key)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _version = -1;

    public string Key => key;

    /// <summary>Tells every replica that the index changed.</summary>
    public async Task<long> BumpAsync() => await redis.GetDatabase().StringIncrementAsync(key);

    /// <summary>Runs <paramref name="refresh"/> if the version moved since it last ran here; returns the version now served.</summary>
    public async Task<long> EnsureCurrentAsync(Func<CancellationToken, Task> refresh, CancellationToken ct)
    {
        var current = (long?)await redis.GetDatabase().StringGetAsync(key) ?? 0;
        if (current == Volatile.Read(ref _version))
        {
            return current;
        }
        await _gate.WaitAsync(ct);
        try
        {
            if (current != _version)
            {
                await refresh(ct);
                Volatile.Write(ref _version, current);
            }
            return current;
        }
        finally
        {
            _gate.Release();
        }
    }
}
