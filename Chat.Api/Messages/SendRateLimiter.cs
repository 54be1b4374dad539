using System.Threading.RateLimiting;
using ChatAspire.ServiceDefaults.Http;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Api.Messages;

/// <summary>
/// Per-sender send limit (token bucket of <see cref="MessagesOptions.SendBurst"/>, refilled at
/// <see cref="MessagesOptions.SendPerSecond"/>): a <see cref="SharedRateLimits"/> bucket per sender in Redis, so the limit
/// is the same with any number of replicas, and per replica while Redis is unreachable.
/// </summary>
public sealed class SendRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _senders;

    public SendRateLimiter(IOptions<MessagesOptions> options, IConnectionMultiplexer redis, ILogger<SendRateLimiter> logger)
    {
        var bucket = new TokenBucket(options.Value.SendBurst, options.Value.SendPerSecond, TimeSpan.FromSeconds(1));
        _senders = PartitionedRateLimiter.Create<Guid, Guid>(userId => RateLimitPartition.Get(userId,
            id => SharedRateLimits.Create($"send:{id:N}", bucket, redis, logger)));
    }

    /// <summary>Takes a send from the sender's bucket; not acquired (with when to retry) when it is empty.</summary>
    public async ValueTask<(bool Acquired, TimeSpan RetryAfter)> TryAcquireAsync(Guid userId, CancellationToken ct)
    {
        using var lease = await _senders.AcquireAsync(userId, 1, ct);
        return (lease.IsAcquired, lease.IsAcquired ? TimeSpan.Zero : SharedRateLimits.RetryAfter(lease));
    }

    public void Dispose() => _senders.Dispose();
}
