using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Chat.Api.Messages;

/// <summary>
/// Per-user send limit (token bucket of <see cref="MessagesOptions.SendBurst"/>, refilled at
/// <see cref="MessagesOptions.SendPerSecond"/>), one bucket per user in Redis, so the limit is the same with any number
/// of replicas (RedisRateLimiting's token bucket, one script call per send). While Redis is unreachable each replica
/// falls back to a bucket of its own with the same settings, so sends go on at the documented pace per replica.
/// </summary>
public sealed partial class SendRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _shared;
    private readonly PartitionedRateLimiter<Guid> _local;
    private readonly ILogger<SendRateLimiter> _logger;
    private long _lastOutageLog;

    public SendRateLimiter(IOptions<MessagesOptions> options, IConnectionMultiplexer redis, ILogger<SendRateLimiter> logger)
    {
        var o = options.Value;
        _logger = logger;
        _shared = PartitionedRateLimiter.Create<Guid, string>(userId => RedisRateLimitPartition.GetTokenBucketRateLimiter($"send:{userId:N}",
            _ => new RedisTokenBucketRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis,
                TokenLimit = o.SendBurst,
                TokensPerPeriod = o.SendPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            }));
        _local = PartitionedRateLimiter.Create<Guid, Guid>(userId => RateLimitPartition.GetTokenBucketLimiter(userId, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.SendBurst,
            TokensPerPeriod = o.SendPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes a send from the user's bucket; not acquired (with when to retry) when it is empty.</summary>
    public async ValueTask<(bool Acquired, TimeSpan RetryAfter)> TryAcquireAsync(Guid userId, CancellationToken ct)
    {
        RateLimitLease lease;
        try
        {
            lease = await _shared.AcquireAsync(userId, 1, ct);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSharedLimitUnavailable(ex);
            lease = _local.AttemptAcquire(userId);
        }
        using (lease)
        {
            var retryAfter = lease.IsAcquired ? TimeSpan.Zero
                : lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : TimeSpan.FromSeconds(1);
            return (lease.IsAcquired, retryAfter);
        }
    }

    private void LogSharedLimitUnavailable(Exception ex)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastOutageLog);
        if ((last == 0 || now - last >= 60_000) && Interlocked.CompareExchange(ref _lastOutageLog, now, last) == last)
        {
            LogFallback(_logger, ex.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 2210, EventName = "send_limit_local", Level = LogLevel.Warning,
        Message = "send_limit_local: Redis is unreachable ({Error}); each replica limits sends on its own until it is back (logged once a minute)")]
    private static partial void LogFallback(ILogger logger, string error);

    public void Dispose()
    {
        _shared.Dispose();
        _local.Dispose();
    }
}
