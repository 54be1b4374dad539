using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatAspire.ServiceDefaults.Messaging;

/// <summary>An integration event waiting to be published, written in the same transaction as the change it reports.</summary>
public sealed class OutboxMessage
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Type { get; init; }
    public required string Payload { get; init; }

    /// <summary>W3C trace context of the request that caused the event, so consumers continue the trace.</summary>
    public string? TraceParent { get; init; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? PublishedAt { get; set; }

    /// <summary>An outbox row for <paramref name="payload"/> (type name = record name, JSON web casing, current trace).</summary>
    public static OutboxMessage For<T>(T payload) => new()
    {
        Type = typeof(T).Name,
        Payload = JsonSerializer.Serialize(payload, JsonSerializerOptions.Web),
        TraceParent = Activity.Current?.Id,
    };
}

/// <summary>A DbContext that holds an outbox table.</summary>
public interface IOutboxContext
{
    DbSet<OutboxMessage> Outbox { get; }
}

public static class OutboxModel
{
    /// <summary>Maps <see cref="OutboxMessage"/> to the <c>outbox</c> table with an index over unpublished rows.</summary>
    public static ModelBuilder ConfigureOutbox(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable("outbox");
            outbox.HasKey(m => m.Id);
            outbox.Property(m => m.Type).HasMaxLength(64);
            outbox.Property(m => m.Payload).HasColumnType("jsonb");
            outbox.Property(m => m.TraceParent).HasMaxLength(64);
            outbox.HasIndex(m => m.CreatedAt).HasFilter("\"PublishedAt\" IS NULL");
        });
        return modelBuilder;
    }

    /// <summary>Registers the publisher of <typeparamref name="TContext"/>'s outbox onto <paramref name="stream"/>.</summary>
    public static IServiceCollection AddOutboxPublisher<TContext>(this IServiceCollection services, string stream)
        where TContext : DbContext, IOutboxContext
    {
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<OutboxPublisher<TContext>>(sp, stream));
        services.AddHostedService(sp => sp.GetRequiredService<OutboxPublisher<TContext>>());
        return services;
    }
}

/// <summary>
/// Moves committed outbox rows onto a Redis stream. A Lua script adds each entry only if its outbox id was never
/// added before, so a crash between XADD and marking the row published cannot duplicate it.
/// </summary>
public sealed partial class OutboxPublisher<TContext>(IServiceScopeFactory scopes, IConnectionMultiplexer redis, ILogger<OutboxPublisher<TContext>> logger, string stream)
    : BackgroundService where TContext : DbContext, IOutboxContext
{
    private static readonly TimeSpan DedupeWindow = TimeSpan.FromDays(7);

    /// <summary>Adds the entry once, and rings the stream's <see cref="StreamBell"/> (ARGV[6]) so idle consumers read it at once.</summary>
    private const string AddOnce = """
        if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
          local id = redis.call('XADD', KEYS[1], '*', 'id', ARGV[2], 'type', ARGV[3], 'payload', ARGV[4], 'traceparent', ARGV[5])
          redis.call('PUBLISH', ARGV[6], '')
          return id
        end
        return false
        """;

    private readonly SemaphoreSlim _signal = new(0);

    public string Stream => stream;

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
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Never let the loop die (a dead database ends EF's retries with RetryLimitExceededException, for one):
                // the rows stay unpublished and the next round tries again.
                LogPublishFailed(logger, stream, ex.GetType().Name);
            }
            await _signal.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public async Task<int> PublishBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var pending = await db.Outbox.Where(m => m.PublishedAt == null).OrderBy(m => m.CreatedAt).Take(100).ToListAsync(ct);
        var redisDb = redis.GetDatabase();
        foreach (var message in pending)
        {
            await redisDb.ScriptEvaluateAsync(AddOnce,
                [stream, $"{stream}:published:{message.Id}"],
                [(long)DedupeWindow.TotalSeconds, message.Id.ToString(), message.Type, message.Payload, message.TraceParent ?? "", StreamBell.For(stream).ToString()]);
            message.PublishedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        return pending.Count;
    }

    [LoggerMessage(EventId = 9101, EventName = "outbox_publish_failed", Level = LogLevel.Warning, Message = "Publishing outbox events to {Stream} failed ({Error}); will retry")]
    private static partial void LogPublishFailed(ILogger logger, string stream, string error);
}
