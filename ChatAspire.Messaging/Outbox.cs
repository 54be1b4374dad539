using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatAspire.Messaging;

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

    /// <summary>The stream entry that carries it (from its last publication).</summary>
    public string? EntryId { get; set; }

    /// <summary>When every consumer group of the stream had handled the entry: from then on Redis may forget it.</summary>
    public DateTimeOffset? SettledAt { get; set; }

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
            outbox.Property(m => m.EntryId).HasMaxLength(32);
            outbox.HasIndex(m => m.CreatedAt).HasFilter("\"PublishedAt\" IS NULL");
            outbox.HasIndex(m => m.PublishedAt).HasFilter("\"PublishedAt\" IS NOT NULL AND \"SettledAt\" IS NULL");
        });
        return modelBuilder;
    }

    /// <summary>
    /// Registers the publisher of <typeparamref name="TContext"/>'s outbox onto <paramref name="stream"/>: every row, or
    /// only rows of <paramref name="types"/> when one outbox feeds several streams (each publisher then names its types).
    /// The publisher is a keyed service (its stream); the first one registered is also the unkeyed one.
    /// </summary>
    public static IServiceCollection AddOutboxPublisher<TContext>(this IServiceCollection services, string stream, params string[] types)
        where TContext : DbContext, IOutboxContext
    {
        services.AddKeyedSingleton(stream, (sp, _) => ActivatorUtilities.CreateInstance<OutboxPublisher<TContext>>(sp, stream, types));
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<OutboxPublisher<TContext>>(stream));
        // Not AddHostedService: it adds one hosted service per implementation type, and a second stream's publisher would be dropped.
        services.AddSingleton<IHostedService, OutboxPublisher<TContext>>(sp => sp.GetRequiredKeyedService<OutboxPublisher<TContext>>(stream));
        return services;
    }
}

/// <summary>
/// Moves committed outbox rows onto a Redis stream, and keeps them there until they are handled. A Lua script adds each
/// entry only if its outbox id was never added before, so a crash between XADD and marking the row published cannot
/// duplicate it. Postgres stays the truth for pending work: a published row stays unsettled until every consumer group
/// of the stream has handled its entry, and a sweep (every <see cref="SweepInterval"/>, and at once when Redis
/// reconnects) publishes again every unsettled row whose entry Redis no longer holds (Redis restarted empty, or lost
/// its last second). Consumers are idempotent, so the rare second delivery is harmless.
/// </summary>
public sealed partial class OutboxPublisher<TContext>(IServiceScopeFactory scopes, IConnectionMultiplexer redis, TimeProvider clock,
    ILogger<OutboxPublisher<TContext>> logger, string stream, string[] types)
    : BackgroundService where TContext : DbContext, IOutboxContext
{
    private static readonly TimeSpan DedupeWindow = TimeSpan.FromDays(7);

    /// <summary>How often unsettled rows are checked against the stream.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    /// <summary>Rows published this recently are not checked yet (their consumers are probably on them).</summary>
    public static readonly TimeSpan SettleAfter = TimeSpan.FromSeconds(5);

    /// <summary>Rows still unsettled this long after their publication are given up on (no consumer group ever read the stream).</summary>
    public static readonly TimeSpan SettleWithin = TimeSpan.FromDays(2);

    /// <summary>
    /// Adds the entry once (its id is kept in the dedupe key, so a repeat returns the first entry's id), and rings the
    /// stream's <see cref="StreamBell"/> (ARGV[6]) so idle consumers read it at once.
    /// </summary>
    private const string AddOnce = """
        local previous = redis.call('GET', KEYS[2])
        if previous then
          return previous
        end
        local id = redis.call('XADD', KEYS[1], '*', 'id', ARGV[2], 'type', ARGV[3], 'payload', ARGV[4], 'traceparent', ARGV[5])
        redis.call('SET', KEYS[2], id, 'EX', ARGV[1])
        redis.call('PUBLISH', ARGV[6], '')
        return id
        """;

    /// <summary>
    /// For each entry id in ARGV: 0 when the stream no longer holds it, 2 when every consumer group has read and
    /// acknowledged it, 1 otherwise (still waiting, or no group reads the stream yet).
    /// </summary>
    private const string SettleState = """
        local function before(a, b)
          local am, as = string.match(a, '(%d+)-(%d+)')
          local bm, bs = string.match(b, '(%d+)-(%d+)')
          am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
          return am < bm or (am == bm and as <= bs)
        end
        local result = {}
        if redis.call('EXISTS', KEYS[1]) == 0 then
          for i = 1, #ARGV do result[i] = 0 end
          return result
        end
        local groups = {}
        for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
          local info = {}
          for j = 1, #g, 2 do info[g[j]] = g[j + 1] end
          groups[#groups + 1] = info
        end
        for i, id in ipairs(ARGV) do
          if #redis.call('XRANGE', KEYS[1], id, id) == 0 then
            result[i] = 0
          else
            local settled = #groups > 0
            for _, g in ipairs(groups) do
              if settled and not before(id, g['last-delivered-id']) then
                settled = false
              elseif settled and #redis.call('XPENDING', KEYS[1], g['name'], id, id, 1) > 0 then
                settled = false
              end
            end
            result[i] = settled and 2 or 1
          end
        end
        return result
        """;

    private readonly SemaphoreSlim _signal = new(0);
    private long _nextSweep;
    private volatile bool _sweepNow = true;

    public string Stream => stream;

    /// <summary>Wakes the publisher right after a commit instead of at the next poll.</summary>
    public void Notify() => _signal.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionRestored += OnRestored;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    while (await PublishBatchAsync(stoppingToken) > 0)
                    {
                    }
                    if (_sweepNow || Environment.TickCount64 >= _nextSweep)
                    {
                        _sweepNow = false;
                        _nextSweep = Environment.TickCount64 + (long)SweepInterval.TotalMilliseconds;
                        while (await SweepAsync(stoppingToken) == SweepBatch)
                        {
                        }
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Never let the loop die (a dead database ends EF's retries with RetryLimitExceededException, for one):
                    // the rows stay unpublished (or unsettled) and the next round tries again.
                    LogPublishFailed(logger, stream, ex.GetType().Name);
                }
                await _signal.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            redis.ConnectionRestored -= OnRestored;
        }
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        _sweepNow = true; // Redis may have come back empty: look for lost entries now, not in a sweep interval
        _signal.Release();
    }

    public async Task<int> PublishBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        // "upkeep": the poll for work is the service's own (DatabaseQueryObserver.UpkeepTag): a busy machine's slow answer is no slow query.
        var pending = await Mine(db.Outbox.TagWith(UpkeepTag)).Where(m => m.PublishedAt == null).OrderBy(m => m.CreatedAt).Take(100).ToListAsync(ct);
        var redisDb = redis.GetDatabase();
        try
        {
            foreach (var message in pending)
            {
                message.EntryId = await AddAsync(redisDb, message);
                message.PublishedAt = clock.GetUtcNow();
            }
        }
        finally
        {
            // One write for the batch: a row added to the stream but not marked (a crash, Redis failing midway) is added
            // again next time, and AddOnce returns its first entry instead of a second one.
            await db.SaveChangesAsync(CancellationToken.None);
        }
        return pending.Count;
    }

    /// <summary>The rows this publisher carries: of its types, or all when it names none.</summary>
    private IQueryable<OutboxMessage> Mine(IQueryable<OutboxMessage> rows) => types.Length == 0 ? rows : rows.Where(m => types.Contains(m.Type));

    private async Task<string> AddAsync(IDatabase redisDb, OutboxMessage message) =>
        (string)(await redisDb.ScriptEvaluateAsync(AddOnce,
            [stream, DedupeKey(message)],
            [(long)DedupeWindow.TotalSeconds, message.Id.ToString(), message.Type, message.Payload, message.TraceParent ?? "", StreamBell.For(stream).ToString()]))!;

    private string DedupeKey(OutboxMessage message) => $"{stream}:published:{message.Id}";

    private const int SweepBatch = 200;

    /// <summary>The query tag ServiceDefaults' query observer reads as upkeep (its <c>UpkeepTag</c>; this project does not reference it).</summary>
    private const string UpkeepTag = "upkeep";

    /// <summary>
    /// Checks published, unsettled rows against the stream: settles those every group has handled, publishes again those
    /// whose entry is gone. Returns how many rows it looked at, or 0 when a consumer is still working through them.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var now = clock.GetUtcNow();
        var publishedBefore = now - SettleAfter;
        var unsettled = await Mine(db.Outbox.TagWith(UpkeepTag))
            .Where(m => m.PublishedAt != null && m.SettledAt == null && m.PublishedAt < publishedBefore)
            .OrderBy(m => m.PublishedAt).Take(SweepBatch).ToListAsync(ct);
        if (unsettled.Count == 0)
        {
            return 0;
        }
        var redisDb = redis.GetDatabase();
        var states = (RedisResult[])(await redisDb.ScriptEvaluateAsync(SettleState, [stream],
            [.. unsettled.Select(m => (RedisValue)(m.EntryId ?? "0-0"))]))!;
        var republished = 0;
        var waiting = 0;
        for (var i = 0; i < unsettled.Count; i++)
        {
            var message = unsettled[i];
            switch ((int)states[i])
            {
                case 2:
                    message.SettledAt = now;
                    break;
                case 0:
                    // Redis forgot it before every consumer had it: the same event again (consumers are idempotent).
                    await redisDb.KeyDeleteAsync(DedupeKey(message));
                    message.EntryId = await AddAsync(redisDb, message);
                    message.PublishedAt = clock.GetUtcNow();
                    republished++;
                    break;
                default:
                    if (now - message.PublishedAt > SettleWithin)
                    {
                        message.SettledAt = now; // nobody reads this stream; stop looking
                    }
                    else
                    {
                        waiting++;
                    }
                    break;
            }
        }
        await db.SaveChangesAsync(ct);
        if (republished > 0)
        {
            LogRepublished(logger, stream, republished);
        }
        // A consumer still busy with these is busy with the newer ones too (it reads in order): looking further costs a
        // round trip per batch of a backlog that only grows while it is behind. The next sweep looks again from the oldest.
        return waiting > 0 ? 0 : unsettled.Count;
    }

    [LoggerMessage(EventId = 9101, EventName = "outbox_publish_failed", Level = LogLevel.Warning, Message = "Publishing outbox events to {Stream} failed ({Error}); will retry")]
    private static partial void LogPublishFailed(ILogger logger, string stream, string error);

    [LoggerMessage(EventId = 9102, EventName = "outbox_republished", Level = LogLevel.Information,
        Message = "outbox_republished: {Count} events of {Stream} were lost by Redis before every consumer had them; published again")]
    private static partial void LogRepublished(ILogger logger, string stream, int count);
}
