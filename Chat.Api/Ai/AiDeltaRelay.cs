using System.Text.Json;
using ChatAspire.Contracts;
using StackExchange.Redis;

namespace Chat.Api.Ai;

/// <summary>
/// Forwards the worker's reply deltas (Redis pub/sub <c>ai:deltas</c>) to the channel's hub group. Every replica
/// receives each delta, but only the first to claim it (SET NX) sends it, and the SignalR backplane delivers it to
/// clients on all replicas: each client gets it once.
/// </summary>
public sealed partial class AiDeltaRelay(IConnectionMultiplexer redis, IAssistantEvents notifier, ILogger<AiDeltaRelay> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Fire-and-forget: a replica may start while Redis is down (awaiting the subscription would then fail and stop the
        // host); the multiplexer subscribes again on every reconnect.
        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(AiJobs.DeltaChannel), CommandFlags.FireAndForget);
        stoppingToken.Register(() => queue.Unsubscribe());
        var db = redis.GetDatabase();
        await foreach (var message in queue.WithCancellation(stoppingToken))
        {
            try
            {
                var delta = JsonSerializer.Deserialize<AiReplyDelta>(message.Message.ToString(), JsonSerializerOptions.Web);
                if (delta is null || !await db.StringSetAsync($"ai:relayed:{delta.JobId}:{delta.Offset}:{delta.State}", "1", TimeSpan.FromMinutes(2), When.NotExists))
                {
                    continue;
                }
                await notifier.ReplyDeltaAsync(delta);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRelayFailed(logger, ex.GetType().Name);
            }
        }
    }

    [LoggerMessage(EventId = 2601, EventName = "ai_delta_relay_failed", Level = LogLevel.Warning, Message = "Relaying an assistant delta failed ({Error})")]
    private static partial void LogRelayFailed(ILogger logger, string error);
}
