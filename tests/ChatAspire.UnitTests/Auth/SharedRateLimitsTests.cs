using System.Threading.RateLimiting;
using ChatAspire.ServiceDefaults.Http;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatAspire.UnitTests.Auth;

/// <summary>
/// A shared bucket while Redis is unreachable: each replica limits on its own with the same settings (not "everything
/// allowed", not "everything refused"), and says so once, not once per request.
/// </summary>
public sealed class SharedRateLimitsTests
{
    [Fact]
    public async Task Without_redis_a_bucket_limits_locally_with_its_settings_and_logs_the_outage_once()
    {
        // Nothing listens on port 1: every script call fails at once, as while Redis restarts.
        await using var redis = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:1,abortConnect=false,connectTimeout=200,connectRetry=0");
        var logs = new LogCapture();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        using var limiter = SharedRateLimits.Create($"unit:{Guid.NewGuid():N}", new TokenBucket(3, 1, TimeSpan.FromMinutes(10)), redis,
            loggers.CreateLogger("limits"));

        var leases = new List<RateLimitLease>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
        {
            leases.Add(await limiter.AcquireAsync(1));
        }

        Assert.Equal([true, true, true, false, false, false], leases.Select(l => l.IsAcquired));
        Assert.True(SharedRateLimits.RetryAfter(leases[^1]) > TimeSpan.Zero);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed}: an outage must not slow each request by the client's timeout");
        var outage = Assert.Single(logs.Records, r => r.EventId.Name == "rate_limit_local");
        Assert.Equal(LogLevel.Warning, outage.Level);
        leases.ForEach(l => l.Dispose());
    }
}
