using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatAspire.Messaging;

/// <summary>Settings of one consumer group on a Redis stream.</summary>
public sealed class StreamConsumerOptions
{
    /// <summary>Entries read per round.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Deliveries before an entry is parked on <c>{stream}:parked</c> with the last error.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>A pending entry idle this long (its consumer crashed, or it failed and waits for a retry) is claimed again.</summary>
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest wait between reads when the stream has nothing new. An idle consumer reads as soon as a producer rings
    /// the stream's <see cref="StreamBell"/>; this poll only covers a ring lost while Redis reconnected, and producers
    /// that do not ring.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Entries of one read handled at the same time (1: one after another). Entries with the same
    /// <see cref="StreamConsumerService.OrderingKey"/> are always handled one after another, in stream order.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 64)]
    public int Concurrency { get; set; } = 1;

    /// <summary>
    /// On shutdown (SIGTERM, a rolling upgrade), how long entries in flight may still finish. One that does not is
    /// cancelled and handed back: marked idle, so another consumer claims it at once instead of after
    /// <see cref="ClaimIdle"/>. Keep it below the host's shutdown timeout (30 s).
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>An entry read from a stream, with its W3C trace context.</summary>
public sealed record StreamMessage(string Id, string Type, string Payload, string? TraceParent)
{
    /// <summary>The payload as the integration event <typeparamref name="T"/> (JSON, web defaults); an empty payload is an error.</summary>
    public T PayloadAs<T>() =>
        System.Text.Json.JsonSerializer.Deserialize<T>(Payload, System.Text.Json.JsonSerializerOptions.Web)
        ?? throw new System.Text.Json.JsonException($"Empty {typeof(T).Name} payload.");
}

/// <summary>
/// At-least-once consumption of a Redis stream through a consumer group: entries are acknowledged only after
/// <see cref="HandleAsync"/> succeeds, pending entries of a crashed consumer (or a failed attempt) are claimed again
/// after <see cref="StreamConsumerOptions.ClaimIdle"/>, and an entry that keeps failing is parked with its reason.
/// Handlers must therefore be idempotent. Each entry is handled in an activity continuing the producer's trace.
/// An idle consumer waits for the stream's <see cref="StreamBell"/> (or its slow fallback poll), so it costs no
/// round trips while nothing happens and reads within a round trip of a producer's ring. On shutdown it reads nothing
/// new, lets the entries in flight finish for up to <see cref="StreamConsumerOptions.DrainTimeout"/>, and hands back
/// the ones that do not.
/// </summary>
public abstract partial class StreamConsumerService(IConnectionMultiplexer redis, ILogger logger) : BackgroundService
{
    private readonly string _consumer = $"{Environment.MachineName}-{Environment.ProcessId}";

    protected abstract string Stream { get; }
    protected abstract string Group { get; }
    protected abstract StreamConsumerOptions Options { get; }
    protected abstract ActivitySource ActivitySource { get; }

    /// <summary>Handles one entry; throwing leaves it pending for a later attempt.</summary>
    protected abstract Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct);

    public string ParkedStream => $"{Stream}:parked";
    private string AttemptsKey => $"{Stream}:{Group}:attempts";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Handlers run on their own token: a stop ends reading at once, but what is in flight gets the drain time.
        using var work = new CancellationTokenSource();
        using var drain = stoppingToken.Register(() => work.CancelAfter(Options.DrainTimeout));
        var db = redis.GetDatabase();
        var groupReady = false;
        var nextClaim = 0L;
        // At most one ring is kept: rings that come while the consumer is reading add nothing to the read that follows.
        using var bell = new SemaphoreSlim(0, 1);
        void Ring(RedisChannel channel, RedisValue value)
        {
            if (bell.CurrentCount == 0)
            {
                try
                {
                    bell.Release();
                }
                catch (SemaphoreFullException)
                {
                    // rung twice at once: one ring is enough
                }
                catch (ObjectDisposedException)
                {
                    // a ring on its way while the consumer stopped
                }
            }
        }
        Action<RedisChannel, RedisValue> ring = Ring; // one instance, so that the same handler is unsubscribed
        var subscribed = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!subscribed)
                    {
                        // Fire-and-forget, like every subscription of the services: a service starts while Redis is down, and
                        // the client subscribes again by itself whenever it reconnects. A ring sent before the subscription
                        // is in place is covered by the fallback poll.
                        await redis.GetSubscriber().SubscribeAsync(StreamBell.For(Stream), ring, CommandFlags.FireAndForget);
                        subscribed = true;
                    }
                    if (!groupReady)
                    {
                        await EnsureGroupAsync(db);
                        groupReady = true;
                    }
                    var handled = 0;
                    // Idle pending entries (a crashed consumer's, or a failed attempt waiting for its retry) are looked for
                    // about ten times per ClaimIdle, not on every read.
                    var claimEvery = (long)Math.Max(Options.PollInterval.TotalMilliseconds, Options.ClaimIdle.TotalMilliseconds / 10);
                    if (Environment.TickCount64 >= nextClaim)
                    {
                        var claimed = await db.StreamAutoClaimAsync(Stream, Group, _consumer, (long)Options.ClaimIdle.TotalMilliseconds, "0-0", Options.BatchSize);
                        handled += await ProcessAllAsync(db, [.. claimed.ClaimedEntries.Where(e => !e.IsNull)], work.Token);
                        nextClaim = handled > 0 ? 0 : Environment.TickCount64 + claimEvery;
                    }
                    if (stoppingToken.IsCancellationRequested)
                    {
                        return; // stopping: what was claimed above is done; read nothing new
                    }
                    handled += await ProcessAllAsync(db, await db.StreamReadGroupAsync(Stream, Group, _consumer, StreamPosition.NewMessages, Options.BatchSize),
                        work.Token);
                    if (handled == 0)
                    {
                        // Until a producer rings, the fallback poll is due, or the next look for idle pending entries.
                        var wait = Math.Clamp(nextClaim - Environment.TickCount64, 1, (long)Options.PollInterval.TotalMilliseconds);
                        await bell.WaitAsync(TimeSpan.FromMilliseconds(wait), stoppingToken);
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested || work.IsCancellationRequested)
                {
                    return;
                }
                catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
                {
                    groupReady = false; // Redis came back empty, or the stream was deleted: the group is created again at once
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Redis down, or a failure outside any one entry: back off and go on; the loop must never die.
                    groupReady = false;
                    LogStreamUnavailable(logger, Stream, ex.GetType().Name);
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
        }
        finally
        {
            if (subscribed)
            {
                // The handler would otherwise outlive this consumer and release a disposed semaphore.
                await redis.GetSubscriber().UnsubscribeAsync(StreamBell.For(Stream), ring, CommandFlags.FireAndForget);
            }
        }
    }

    /// <summary>
    /// Entries that must be handled one after another, in stream order, share a key (for example the file they are about);
    /// null (the default) puts every entry in its own group. Only matters when <see cref="StreamConsumerOptions.Concurrency"/> is above 1.
    /// </summary>
    protected virtual string? OrderingKey(StreamMessage message) => null;

    /// <summary>Handles a read's entries: in order, or up to <see cref="StreamConsumerOptions.Concurrency"/> ordering groups at a time.</summary>
    private async Task<int> ProcessAllAsync(IDatabase db, StreamEntry[] entries, CancellationToken ct)
    {
        if (Options.Concurrency <= 1 || entries.Length <= 1)
        {
            foreach (var entry in entries)
            {
                await ProcessAsync(db, entry, ct);
            }
            return entries.Length;
        }
        var groups = entries.Select((entry, index) => (Entry: entry, Key: OrderingKey(Read(entry)) ?? $"#{index}"))
            .GroupBy(e => e.Key, e => e.Entry, StringComparer.Ordinal);
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = Options.Concurrency, CancellationToken = ct },
            async (group, token) =>
            {
                foreach (var entry in group)
                {
                    await ProcessAsync(db, entry, token);
                }
            });
        return entries.Length;
    }

    private static StreamMessage Read(StreamEntry entry) =>
        new(entry.Id!, entry["type"].ToString(), entry["payload"].ToString(), entry["traceparent"] is { IsNullOrEmpty: false } tp ? tp.ToString() : null);

    private async Task EnsureGroupAsync(IDatabase db)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(Stream, Group, "0-0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    private async Task ProcessAsync(IDatabase db, StreamEntry entry, CancellationToken ct)
    {
        var message = Read(entry);
        ActivityContext.TryParse(message.TraceParent, null, out var parent);
        using var activity = ActivitySource.StartActivity($"{Stream} process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.destination.name", Stream);
        activity?.SetTag("messaging.message.id", message.Id);
        activity?.SetTag("messaging.consumer.group.name", Group);
        try
        {
            await HandleAsync(message, activity, ct);
            await db.StreamAcknowledgeAsync(Stream, Group, entry.Id);
            await db.HashDeleteAsync(AttemptsKey, entry.Id);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down and the drain time is over: hand the entry back so another consumer takes it over at once.
            activity?.SetTag("messaging.handed_back", true);
            await HandBackAsync(db, entry.Id);
            LogHandedBack(logger, Stream, message.Id, message.Type);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            var attempts = await db.HashIncrementAsync(AttemptsKey, entry.Id);
            if (attempts >= Options.MaxAttempts)
            {
                var reason = $"{ex.GetType().Name}: {ex.Message}";
                await db.StreamAddAsync(ParkedStream,
                [
                    new("id", entry.Id), new("type", message.Type), new("payload", message.Payload),
                    new("traceparent", message.TraceParent ?? ""), new("reason", reason), new("attempts", attempts),
                ]);
                await db.StreamAcknowledgeAsync(Stream, Group, entry.Id);
                await db.HashDeleteAsync(AttemptsKey, entry.Id);
                LogParked(logger, Stream, message.Id, message.Type, attempts, reason);
                await OnParkedAsync(message, reason, ct);
            }
            else
            {
                LogAttemptFailed(logger, Stream, message.Id, message.Type, attempts, ex.GetType().Name);
            }
        }
    }

    /// <summary>Marks a pending entry of this consumer as idle for <see cref="StreamConsumerOptions.ClaimIdle"/>, so that the next claim of any consumer takes it.</summary>
    private async Task HandBackAsync(IDatabase db, RedisValue entryId)
    {
        try
        {
            await db.ExecuteAsync("XCLAIM", Stream, Group, _consumer, 0, entryId, "IDLE", (long)Options.ClaimIdle.TotalMilliseconds, "JUSTID");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis is down too: the entry stays pending and is claimed after ClaimIdle as after a crash.
        }
    }

    /// <summary>Called after an entry was parked (e.g. to tell the user); must not throw.</summary>
    protected virtual Task OnParkedAsync(StreamMessage message, string reason, CancellationToken ct) => Task.CompletedTask;

    [LoggerMessage(EventId = 9001, EventName = "stream_unavailable", Level = LogLevel.Warning, Message = "Reading stream {Stream} failed ({Error}); retrying")]
    private static partial void LogStreamUnavailable(ILogger logger, string stream, string error);

    [LoggerMessage(EventId = 9002, EventName = "stream_entry_failed", Level = LogLevel.Warning,
        Message = "Entry {EntryId} ({EventType}) of {Stream} failed on attempt {Attempts} ({Error}); it will be retried")]
    private static partial void LogAttemptFailed(ILogger logger, string stream, string entryId, string eventType, long attempts, string error);

    [LoggerMessage(EventId = 9004, EventName = "stream_entry_handed_back", Level = LogLevel.Information,
        Message = "Entry {EntryId} ({EventType}) of {Stream} did not finish before shutdown; handed back for another consumer")]
    private static partial void LogHandedBack(ILogger logger, string stream, string entryId, string eventType);

    [LoggerMessage(EventId = 9003, EventName = "stream_entry_parked", Level = LogLevel.Error,
        Message = "Entry {EntryId} ({EventType}) of {Stream} parked after {Attempts} attempts: {Reason}")]
    private static partial void LogParked(ILogger logger, string stream, string entryId, string eventType, long attempts, string reason);
}
