using ChatAspire.Contracts;
using Chat.Api.Channels;
using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Chat.Api.Ai;

/// <summary>Redis side of streaming replies: what is streaming in a channel right now, and cancelling a job.</summary>
public sealed class AiStreams(IConnectionMultiplexer redis, ChatDbContext jobs, ChannelAccess access)
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

    /// <summary>
    /// Stops the reply to <paramref name="jobId"/> in progress, for a caller who may write in its channel, on whichever
    /// worker runs it (the hub's <c>CancelAiReply</c> and <c>POST /api/ai/jobs/{id}/cancel</c> both come here). No such
    /// job is NotFound; a job that has already finished is a Conflict, said so.
    /// </summary>
    public async Task CancelAsync(Guid jobId, Caller caller, CancellationToken ct)
    {
        var job = await jobs.AiJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct) ?? throw ChatException.NotFound("No such assistant job.");
        await access.WritableAsync(job.ChannelId, caller, ct);
        if (job.CompletedAt is not null)
        {
            throw new ChatException(ChatErrorKind.Conflict, $"The assistant has already finished this reply ({job.Status}); there is nothing to stop.");
        }
        var db = redis.GetDatabase();
        await db.StringSetAsync(AiJobs.CancelKey(jobId), "1", TimeSpan.FromHours(1));
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(AiJobs.CancelChannel), jobId.ToString());
    }
}
