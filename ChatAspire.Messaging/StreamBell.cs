using StackExchange.Redis;

namespace ChatAspire.Messaging;

/// <summary>
/// A stream's doorbell: producers publish on <c>{stream}:bell</c> (Redis pub/sub) right after adding entries, and idle
/// <see cref="StreamConsumerService"/>s read at once instead of polling. A ring is only a hint: one lost while a
/// connection is re-established is covered by the consumers' slow fallback poll
/// (<see cref="StreamConsumerOptions.PollInterval"/>).
/// </summary>
public static class StreamBell
{
    /// <summary>The pub/sub channel of <paramref name="stream"/>'s bell.</summary>
    public static RedisChannel For(string stream) => RedisChannel.Literal($"{stream}:bell");

    /// <summary>Rings <paramref name="stream"/>'s bell (fire and forget: the entry is already stored, the ring only saves time).</summary>
    public static Task RingAsync(IDatabase db, string stream) => db.PublishAsync(For(stream), "", CommandFlags.FireAndForget);
}
