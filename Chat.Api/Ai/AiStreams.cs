using ChatAspire.Contracts;
using StackExchange.Redis;

namespace Chat.Api.Ai;

/// <summary>Redis side of streaming replies: what is streaming in a channel right now, and cancelling a job.</summary>
public sealed class AiStreams(IConnectionMultiplexer redis)
{
    /// <summary>Replies in progress in a channel with their text so far, for a client that joins or reconnects mid-stream.</summary>
    public async Task<IReadOnlyList<AiReplyDelta>> ActiveAsync(Guid channelId)
    {
        var db = redis.GetDatabase();
        var result = new List<AiReplyDelta>();
        foreach (var member in await db.SetMembersAsync(AiJobs.ActiveKey(channelId)))
        {
            if (Guid.TryParse(member.ToString(), out var jobId) && await db.StringGetAsync(AiJobs.PartialKey(jobId)) is { HasValue: true } text)
            {
                result.Add(new AiReplyDelta(jobId, channelId, 0, text.ToString(), AiReplyDelta.Streaming));
            }
        }
        return result;
    }

    /// <summary>Marks the job cancelled (the worker checks this) and tells every worker at once.</summary>
    /// <summary>Stops a reply in progress, on whichever worker runs it; a job that has already finished is a conflict, said so.</summary>
    public async Task CancelAsync(AiJob job)
    {
        if (job.CompletedAt is not null)
        {
            throw new ChatException(ChatErrorKind.Conflict, $"The assistant has already finished this reply ({job.Status}); there is nothing to stop.");
        }
        var jobId = job.Id;
        var db = redis.GetDatabase();
        await db.StringSetAsync(AiJobs.CancelKey(jobId), "1", TimeSpan.FromHours(1));
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(AiJobs.CancelChannel), jobId.ToString());
    }
}
