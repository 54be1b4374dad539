using System.Collections.Concurrent;
using System.Diagnostics;
using ChatAspire.Messaging;
using ChatAspire.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ChatAspire.Tests.Messaging;

/// <summary>A consumer group handling several entries at once (as ingestion does), on the real Redis.</summary>
public sealed class StreamConsumerConcurrencyTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Entries_of_different_keys_run_at_once_and_entries_of_one_key_stay_in_stream_order()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync(ResourceNames.Redis));
        var stream = $"test:concurrency:{Guid.NewGuid():N}";
        var db = redis.GetDatabase();
        const int Keys = 4, PerKey = 6;
        for (var i = 0; i < PerKey; i++)
        {
            for (var k = 0; k < Keys; k++)
            {
                await db.StreamAddAsync(stream, [new("type", "Test"), new("payload", $"{k}:{i}")]);
            }
        }

        using var consumer = new RecordingConsumer(redis, stream, Keys * PerKey);
        await consumer.StartAsync(CancellationToken.None);
        await consumer.AllHandled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await consumer.StopAsync(CancellationToken.None);

        // Every key's entries in the order they were added, and never two of one key at once.
        foreach (var k in Enumerable.Range(0, Keys))
        {
            Assert.Equal(Enumerable.Range(0, PerKey), consumer.Handled.Where(h => h.Key == k).Select(h => h.Index));
        }
        Assert.Equal(0, consumer.SameKeyOverlaps);
        Assert.InRange(consumer.MostAtOnce, 2, 3); // Concurrency = 3
        var pending = await db.StreamPendingAsync(stream, "test");
        Assert.Equal(0, pending.PendingMessageCount); // all acknowledged
        await db.KeyDeleteAsync(stream);
    }

    [Fact]
    public async Task A_consumer_whose_stream_was_deleted_creates_its_group_again_and_goes_on()
    {
        // Redis restarted without its data, or the stream deleted: the consumer group is gone with it.
        var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync(ResourceNames.Redis));
        var stream = $"test:regroup:{Guid.NewGuid():N}";
        var db = redis.GetDatabase();
        using var consumer = new RecordingConsumer(redis, stream, 2);
        await consumer.StartAsync(CancellationToken.None);
        await db.StreamAddAsync(stream, [new("type", "Test"), new("payload", "0:0")]);
        Assert.True(await consumer.EachHandled.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(await db.KeyDeleteAsync(stream));
        await db.StreamAddAsync(stream, [new("type", "Test"), new("payload", "0:1")]); // a new stream, no group
        await consumer.AllHandled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await consumer.StopAsync(CancellationToken.None);

        Assert.Equal([(0, 0), (0, 1)], consumer.Handled);
        Assert.Equal(0, (await db.StreamPendingAsync(stream, "test")).PendingMessageCount);
        await db.KeyDeleteAsync(stream);
    }

    [Fact]
    public async Task An_idle_consumer_reads_as_soon_as_the_producer_rings_and_polls_slowly_without_a_ring()
    {
        var connection = await fixture.ConnectionStringAsync(ResourceNames.Redis);
        var redis = await ConnectionMultiplexer.ConnectAsync(connection);
        var stream = $"test:bell:{Guid.NewGuid():N}";
        var db = redis.GetDatabase();
        // The consumer has a connection of its own (named), so that Redis can say what it last did and when.
        var name = $"bell-{Guid.NewGuid():N}";
        var options = ConfigurationOptions.Parse(connection!);
        options.ClientName = name;
        using var consumerRedis = await ConnectionMultiplexer.ConnectAsync(options);
        // The fallback poll is a minute: only the bell can make the consumer read within seconds.
        using var consumer = new RecordingConsumer(consumerRedis, stream, 2, pollInterval: TimeSpan.FromMinutes(1));
        await consumer.StartAsync(CancellationToken.None);
        // Idle: its last command was a read that found nothing, at least a second ago (a consumer that reads sends one
        // command right after another), so it is waiting for the bell or the poll.
        await Poll.UntilAsync(async () => ((string?)await db.ExecuteAsync("CLIENT", "LIST") ?? "").Split('\n')
            .Any(c => c.Contains($"name={name} ", StringComparison.Ordinal) && c.Contains(" cmd=xreadgroup ", StringComparison.Ordinal)
                && !c.Contains(" idle=0 ", StringComparison.Ordinal)), TimeSpan.FromSeconds(15), "an idle consumer");

        // An entry added without a ring waits for the poll...
        await db.StreamAddAsync(stream, [new("type", "Test"), new("payload", "0:0")]);
        Assert.False(await consumer.EachHandled.WaitAsync(TimeSpan.FromSeconds(2)));
        // ...and the ring makes the idle consumer read it (and the next one) at once.
        await StreamBell.RingAsync(db, stream);
        Assert.True(await consumer.EachHandled.WaitAsync(TimeSpan.FromSeconds(5)));
        await db.StreamAddAsync(stream, [new("type", "Test"), new("payload", "0:1")]);
        await StreamBell.RingAsync(db, stream);
        await consumer.AllHandled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await consumer.StopAsync(CancellationToken.None);

        Assert.Equal([(0, 0), (0, 1)], consumer.Handled);
        await Poll.UntilAsync(async () => await db.PublishAsync(StreamBell.For(stream), "") == 0, TimeSpan.FromSeconds(10),
            "a stopped consumer to stop listening");
        await db.KeyDeleteAsync(stream);
    }

    private sealed class RecordingConsumer(IConnectionMultiplexer redis, string stream, int expected, TimeSpan? pollInterval = null)
        : StreamConsumerService(redis, NullLogger.Instance)
    {
        private static readonly ActivitySource Source = new("ChatAspire.Tests.StreamConsumer");
        private readonly ConcurrentDictionary<int, byte> _running = new();
        private int _atOnce;

        public ConcurrentQueue<(int Key, int Index)> Handled { get; } = new();
        public TaskCompletionSource AllHandled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public SemaphoreSlim EachHandled { get; } = new(0);
        private int _mostAtOnce;
        private int _sameKeyOverlaps;

        public int MostAtOnce => _mostAtOnce;
        public int SameKeyOverlaps => _sameKeyOverlaps;

        protected override string Stream => stream;
        protected override string Group => "test";
        protected override StreamConsumerOptions Options { get; } = new()
        {
            BatchSize = 24, Concurrency = 3, PollInterval = pollInterval ?? TimeSpan.FromMilliseconds(20),
            ClaimIdle = pollInterval is { } slow ? slow * 10 : new StreamConsumerOptions().ClaimIdle,
        };
        protected override ActivitySource ActivitySource => Source;

        protected override string? OrderingKey(StreamMessage message) => message.Payload.Split(':')[0];

        protected override async Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct)
        {
            var parts = message.Payload.Split(':');
            var key = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            if (!_running.TryAdd(key, 0))
            {
                Interlocked.Increment(ref _sameKeyOverlaps);
            }
            var now = Interlocked.Increment(ref _atOnce);
            InterlockedMax(ref _mostAtOnce, now);
            await Task.Delay(30, ct); // I/O-like work, so that handlers overlap when allowed to
            Handled.Enqueue((key, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
            Interlocked.Decrement(ref _atOnce);
            _running.TryRemove(key, out _);
            EachHandled.Release();
            if (Handled.Count == expected)
            {
                AllHandled.TrySetResult();
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
