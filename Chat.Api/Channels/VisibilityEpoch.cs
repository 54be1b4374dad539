using ChatAspire.Contracts;
using StackExchange.Redis;

namespace Chat.Api.Channels;

/// <summary>
/// Announces that what channel readers can see may have changed (membership, or attachments posted or deleted): see
/// <see cref="FileVisibility"/>. Called after the change is committed; one Redis increment.
/// </summary>
public sealed class VisibilityEpoch(IConnectionMultiplexer redis)
{
    public Task ChangedAsync() => redis.GetDatabase().StringIncrementAsync(FileVisibility.EpochKey);
}
