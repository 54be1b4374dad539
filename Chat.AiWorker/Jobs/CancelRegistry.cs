using System.Collections.Concurrent;
using ChatAspire.Contracts;
using StackExchange.Redis;

namespace Chat.AiWorker.Jobs;

/// <summary>
/// Cancels replies in progress on this worker when any Chat.Api replica publishes on <c>ai:cancel</c>. A cancel that
/// arrives before the job starts (or while this worker was down) is still seen: the job also checks the cancel key.
/// </summary>
public sealed class CancelRegistry(IConnectionMultiplexer redis) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

    public CancellationTokenSource Register(Guid jobId, CancellationToken stopping)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _running[jobId] = cts;
        return cts;
    }

    public void Unregister(Guid jobId)
    {
        if (_running.TryRemove(jobId, out var cts))
        {
            cts.Dispose();
        }
    }

    public async Task<bool> IsCancelledAsync(Guid jobId) => await redis.GetDatabase().KeyExistsAsync(AiJobs.CancelKey(jobId));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Fire-and-forget: the worker may start while Redis is down (awaiting the subscription would then fail and stop the
        // host); the multiplexer subscribes again on every reconnect.
        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(AiJobs.CancelChannel), CommandFlags.FireAndForget);
        stoppingToken.Register(() => queue.Unsubscribe());
        await foreach (var message in queue.WithCancellation(stoppingToken))
        {
            if (Guid.TryParse(message.Message.ToString(), out var jobId) && _running.TryGetValue(jobId, out var cts))
            {
                await cts.CancelAsync();
            }
        }
    }
}
