using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Messages;

/// <summary>Per-user send limit (token bucket). In memory, so each replica enforces it on the sends it handles.</summary>
public sealed class SendRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _limiter;

    public SendRateLimiter(IOptions<MessagesOptions> options)
    {
        var o = options.Value;
        _limiter = PartitionedRateLimiter.Create<Guid, Guid>(userId => RateLimitPartition.GetTokenBucketLimiter(userId, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.SendBurst,
            TokensPerPeriod = o.SendPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes a send from the user's bucket; false (with when to retry) when it is empty.</summary>
    public bool TryAcquire(Guid userId, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(userId);
        retryAfter = lease.IsAcquired ? TimeSpan.Zero
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
