using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.AiWorker.Jobs;

/// <summary>Samples the job stream every few seconds for <c>ai_queue_depth</c> and <c>ai_queue_oldest_job_age_seconds</c>.</summary>
public sealed class QueueMonitor(IConnectionMultiplexer redis, IOptions<WorkerOptions> options, AiTelemetry telemetry) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var db = redis.GetDatabase();
                var info = await db.ExecuteAsync("XINFO", "GROUPS", o.StreamName);
                long depth = 0;
                var oldest = (string?)null;
                foreach (var group in (RedisResult[])info!)
                {
                    var fields = ((RedisResult[])group!).Chunk(2).ToDictionary(p => p[0].ToString(), p => p[1]);
                    if (fields["name"].ToString() != o.Group)
                    {
                        continue;
                    }
                    var pending = (long)fields["pending"];
                    var lag = fields.TryGetValue("lag", out var l) && !l.IsNull ? (long)l : 0;
                    depth = pending + lag;
                    if (pending > 0)
                    {
                        oldest = (await db.StreamPendingAsync(o.StreamName, o.Group)).LowestPendingMessageId.ToString();
                    }
                    else if (lag > 0)
                    {
                        var next = await db.StreamRangeAsync(o.StreamName, fields["last-delivered-id"].ToString(), "+", 2);
                        oldest = next.Select(e => e.Id.ToString()).FirstOrDefault(id => id != fields["last-delivered-id"].ToString());
                    }
                }
                telemetry.QueueDepth = depth;
                telemetry.OldestJobAge = oldest is { } id && long.TryParse(id.Split('-')[0], out var ms)
                    ? Math.Max(0, (DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(ms)).TotalSeconds)
                    : 0;
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // No stream yet, or Redis is down (readiness says so); keep the last values.
            }
            await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
