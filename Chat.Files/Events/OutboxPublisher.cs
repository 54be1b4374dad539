using Chat.Files.Data;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Chat.Files.Events;

/// <summary>
/// Moves committed outbox rows onto the Redis stream <c>files:events</c>. A Lua script adds each entry only if its
/// outbox id was never added before, so a crash between XADD and marking the row published cannot duplicate it.
/// </summary>
public sealed partial class OutboxPublisher(IServiceScopeFactory scopes, IConnectionMultiplexer redis, ILogger<OutboxPublisher> logger) : BackgroundService
{
    public const string Stream = ChatAspire.Contracts.FileEvents.Stream;
    private static readonly TimeSpan DedupeWindow = TimeSpan.FromDays(7);

    private const string AddOnce = """
        if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
          return redis.call('XADD', KEYS[1], '*', 'id', ARGV[2], 'type', ARGV[3], 'payload', ARGV[4], 'traceparent', ARGV[5])
        end
        return false
        """;

    private readonly SemaphoreSlim _signal = new(0);

    /// <summary>Wakes the publisher right after a commit instead of at the next poll.</summary>
    public void Notify() => _signal.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await PublishBatchAsync(stoppingToken) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is RedisException or DbUpdateException or Npgsql.NpgsqlException or TimeoutException)
            {
                LogPublishFailed(logger, ex.GetType().Name);
            }
            await _signal.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public async Task<int> PublishBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FilesDbContext>();
        var pending = await db.Outbox.Where(m => m.PublishedAt == null).OrderBy(m => m.CreatedAt).Take(100).ToListAsync(ct);
        var redisDb = redis.GetDatabase();
        foreach (var message in pending)
        {
            await redisDb.ScriptEvaluateAsync(AddOnce,
                [Stream, $"files:outbox-published:{message.Id}"],
                [(long)DedupeWindow.TotalSeconds, message.Id.ToString(), message.Type, message.Payload, message.TraceParent ?? ""]);
            message.PublishedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        return pending.Count;
    }

    [LoggerMessage(EventId = 3101, EventName = "outbox_publish_failed", Level = LogLevel.Warning, Message = "Publishing outbox events failed ({Error}); will retry")]
    private static partial void LogPublishFailed(ILogger logger, string error);
}
