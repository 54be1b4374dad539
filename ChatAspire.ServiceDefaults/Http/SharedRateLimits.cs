using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using RedisRateLimiting;
using StackExchange.Redis;

namespace ChatAspire.ServiceDefaults.Http;

/// <summary>A token bucket: <paramref name="Burst"/> at most, refilled by <paramref name="Refill"/> every <paramref name="Period"/>.</summary>
public readonly record struct TokenBucket(int Burst, int Refill, TimeSpan Period);

/// <summary>
/// The one way ChatAspire limits a rate: a token bucket per key in Redis (RedisRateLimiting, one script call per
/// acquire), so a limit is the same with any number of replicas. While Redis is unreachable each replica falls back to a
/// bucket of its own with the same settings (logged once a minute as <c>rate_limit_local</c>), so requests go on at the
/// documented pace per replica instead of failing. Used by the request limit of every service, the send limit and the
/// per-address limit on sign-in.
/// </summary>
public static partial class SharedRateLimits
{
    /// <summary>A partition for the ASP.NET Core rate-limiting middleware: <paramref name="key"/>'s bucket, shared through Redis.</summary>
    public static RateLimitPartition<string> Partition(string key, TokenBucket bucket, IConnectionMultiplexer redis, ILogger logger) =>
        RateLimitPartition.Get(key, k => Create(k, bucket, redis, logger));

    /// <summary>A limiter for one key's bucket, shared through Redis, local while Redis is unreachable.</summary>
    public static RateLimiter Create(string key, TokenBucket bucket, IConnectionMultiplexer redis, ILogger logger) =>
        new FallbackRateLimiter(
            new RedisTokenBucketRateLimiter<string>(key, new RedisTokenBucketRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis,
                TokenLimit = bucket.Burst,
                TokensPerPeriod = bucket.Refill,
                ReplenishmentPeriod = bucket.Period,
            }),
            new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = bucket.Burst,
                TokensPerPeriod = bucket.Refill,
                ReplenishmentPeriod = bucket.Period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }),
            redis,
            logger);

    /// <summary>When a refused lease says to retry; one second when it does not say.</summary>
    public static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : TimeSpan.FromSeconds(1);

    private static long s_lastOutageLog;

    private static void LogOutage(ILogger logger, string error)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref s_lastOutageLog);
        if ((last == 0 || now - last >= 60_000) && Interlocked.CompareExchange(ref s_lastOutageLog, now, last) == last)
        {
            LogLocal(logger, error);
        }
    }

    [LoggerMessage(EventId = 1102, EventName = "rate_limit_local", Level = LogLevel.Warning,
        Message = "rate_limit_local: Redis is unreachable ({Error}); each replica applies its rate limits on its own until it is back (logged once a minute)")]
    private static partial void LogLocal(ILogger logger, string error);

    /// <summary>The Redis bucket, or the local one while Redis fails.</summary>
    private sealed class FallbackRateLimiter(RateLimiter shared, RateLimiter local, IConnectionMultiplexer redis, ILogger logger) : RateLimiter
    {
        public override TimeSpan? IdleDuration => shared.IdleDuration is { } s && local.IdleDuration is { } l ? (s < l ? s : l) : null;

        public override RateLimiterStatistics? GetStatistics() => shared.GetStatistics();

        // The Redis bucket cannot answer without a round trip, so a synchronous attempt is refused and callers
        // (the middleware does this) go on to AcquireAsync.
        protected override RateLimitLease AttemptAcquireCore(int permitCount) => shared.AttemptAcquire(permitCount);

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            // While the connection is down, a command would wait in the client's backlog until its timeout (5 s): go local
            // at once instead, so requests are not slowed by the outage.
            if (!redis.IsConnected)
            {
                LogOutage(logger, "not connected");
                return local.AttemptAcquire(permitCount);
            }
            try
            {
                return await shared.AcquireAsync(permitCount, cancellationToken);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogOutage(logger, ex.GetType().Name);
                return local.AttemptAcquire(permitCount);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                shared.Dispose();
                local.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
