using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Chat.AiWorker.Providers;
using ChatAspire.Contracts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.AiWorker.Jobs;

/// <summary>
/// Answers one job: context (recent messages, the channel's documents), a streamed generation whose deltas go to
/// Redis (pub/sub for live clients, a key with the text so far for late joiners), then the final reply posted to
/// Chat.Api once, with citations. Provider failures are rethrown so the job is retried or, in the end, parked.
/// </summary>
public sealed partial class ReplyGenerator(
    IChatClient chat,
    ChatApiClient api,
    RagClient rag,
    CancelRegistry cancels,
    IConnectionMultiplexer redis,
    IOptions<ProviderOptions> provider,
    IOptions<WorkerOptions> worker,
    AiTelemetry telemetry,
    ILogger<ReplyGenerator> logger)
{
    private static readonly TimeSpan PartialTtl = TimeSpan.FromMinutes(15);

    public async Task AnswerAsync(AiJobRequested job, CancellationToken stopping)
    {
        var p = provider.Value;
        using var activity = AiTelemetry.Source.StartActivity("ai_request");
        activity?.SetTag("ai.job_id", job.JobId);
        activity?.SetTag("chat.channel_id", job.ChannelId);
        activity?.SetTag("gen_ai.provider.name", p.Provider);
        activity?.SetTag("gen_ai.request.model", p.ModelName);
        activity?.SetTag("prompt.length", job.Question.Length);

        if (await api.JobAsync(job.JobId, stopping) is not { Status: "queued" })
        {
            activity?.SetTag("ai.skipped", "already answered or gone");
            return;
        }
        var hits = await RetrieveAsync(job, stopping);
        var remembered = await RememberAsync(job, stopping);
        var sources = Prompt.Sources(hits, remembered);
        var history = await HistoryAsync(job, stopping);
        var messages = Prompt.Build(job.Question, history, sources);

        using var cts = cancels.Register(job.JobId, stopping);
        var db = redis.GetDatabase();
        var text = new StringBuilder();
        var outcome = "completed";
        var watch = Stopwatch.StartNew();
        try
        {
            if (await cancels.IsCancelledAsync(job.JobId))
            {
                await cts.CancelAsync();
            }
            await db.StringSetAsync(AiJobs.PartialKey(job.JobId), "", PartialTtl);
            await db.SetAddAsync(AiJobs.ActiveKey(job.ChannelId), job.JobId.ToString());
            telemetry.ModelCalled(p.Provider, p.ModelName);
            var first = true;
            await foreach (var update in chat.GetStreamingResponseAsync(messages, new ChatOptions { ModelId = p.ModelName }, cts.Token))
            {
                if (string.IsNullOrEmpty(update.Text))
                {
                    continue;
                }
                if (first)
                {
                    telemetry.FirstToken(p.Provider, p.ModelName, watch.Elapsed);
                    first = false;
                }
                var offset = text.Length;
                text.Append(update.Text);
                await db.StringAppendAsync(AiJobs.PartialKey(job.JobId), update.Text);
                await PublishAsync(new AiReplyDelta(job.JobId, job.ChannelId, offset, update.Text, AiReplyDelta.Streaming));
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            outcome = "cancelled";
        }
        catch (ProviderUnavailableException ex)
        {
            telemetry.Finished(p.Provider, p.ModelName, "failed", watch.Elapsed);
            activity?.SetStatus(ActivityStatusCode.Error, "provider unavailable");
            LogProviderFailed(logger, job.JobId, p.Provider, ex.Message);
            // Tell the channel now; the job stays pending and is retried, or parked with a final message.
            await PublishAsync(new AiReplyDelta(job.JobId, job.ChannelId, 0, $"The assistant's model is not answering ({ex.Message}) I will try again shortly.",
                AiReplyDelta.Failed));
            throw;
        }
        finally
        {
            cancels.Unregister(job.JobId);
            await db.SetRemoveAsync(AiJobs.ActiveKey(job.ChannelId), job.JobId.ToString());
            await db.KeyDeleteAsync(AiJobs.PartialKey(job.JobId));
        }

        var reply = text.ToString().Trim();
        if (outcome == "cancelled")
        {
            reply = reply.Length > 0 ? $"{reply} … (stopped)" : "(stopped before I started)";
        }
        AiCitation Cite(int n)
        {
            if (n <= hits.Count)
            {
                var hit = hits[n - 1];
                return new AiCitation(n, hit.FileId, hit.FileName, hit.Page, hit.Heading);
            }
            var message = remembered[n - hits.Count - 1];
            return new AiCitation(n, null, null, null, null, message.MessageId, message.ChannelId, message.Seq);
        }
        var citations = Prompt.Cited(reply).Where(n => n >= 1 && n <= hits.Count + remembered.Count).Select(Cite).ToList();
        await api.PostReplyAsync(new AiReplyRequest(job.JobId, job.ChannelId, job.MessageId, reply.Length > 0 ? reply : "(no answer)", citations, outcome),
            CancellationToken.None);
        await PublishAsync(new AiReplyDelta(job.JobId, job.ChannelId, text.Length, "", outcome == "cancelled" ? AiReplyDelta.Cancelled : AiReplyDelta.Completed));
        telemetry.Finished(p.Provider, p.ModelName, outcome, watch.Elapsed);
        activity?.SetTag("response.length", reply.Length);
        activity?.SetTag("ai.outcome", outcome);
        activity?.SetTag("ai.citations", citations.Count);
        LogAnswered(logger, job.JobId, job.ChannelId, outcome, reply.Length, citations.Count);
    }

    /// <summary>After the last attempt failed: the asker gets a final, clear answer instead of silence.</summary>
    public async Task GiveUpAsync(AiJobRequested job, string reason)
    {
        var text = "Sorry, I could not answer this: the assistant's model provider kept failing. " +
                   "Your question is kept, and an operator can see why in the worker's health and logs; please ask again later.";
        await api.PostReplyAsync(new AiReplyRequest(job.JobId, job.ChannelId, job.MessageId, text, [], "failed"), CancellationToken.None);
        await PublishAsync(new AiReplyDelta(job.JobId, job.ChannelId, 0, "", AiReplyDelta.Failed));
        LogGaveUp(logger, job.JobId, reason);
    }

    private async Task<IReadOnlyList<RagHit>> RetrieveAsync(AiJobRequested job, CancellationToken ct)
    {
        if (worker.Value.Sources == 0)
        {
            return [];
        }
        using var activity = AiTelemetry.Source.StartActivity("ai.retrieve");
        try
        {
            var hits = await rag.SearchAsync(job.Question, job.ChannelId, worker.Value.Sources, ct);
            activity?.SetTag("rag.chunk_count", hits.Count);
            activity?.SetTag("rag.top_score", hits.Count > 0 ? hits[0].Score : 0);
            return hits;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            // Without documents the assistant still answers from the conversation; it says so when it has nothing to quote.
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            LogRetrievalFailed(logger, job.JobId, ex.GetType().Name);
            return [];
        }
    }

    /// <summary>
    /// Earlier messages of the channel that bear on the question (the team memory), beyond the recent history the prompt
    /// already holds and never the question itself. Without them the assistant still answers.
    /// </summary>
    private async Task<IReadOnlyList<MemoryHit>> RememberAsync(AiJobRequested job, CancellationToken ct)
    {
        var w = worker.Value;
        if (w.MessageSources == 0)
        {
            return [];
        }
        using var activity = AiTelemetry.Source.StartActivity("ai.remember");
        try
        {
            var recent = job.MessageSeq - w.HistoryMessages;
            var hits = (await rag.MessagesAsync(job.Question, job.ChannelId, w.MessageSources + w.HistoryMessages + 1, ct))
                .Where(h => h.MessageId != job.MessageId && h.Seq < recent).Take(w.MessageSources).ToList();
            activity?.SetTag("rag.message_count", hits.Count);
            return hits;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            LogRetrievalFailed(logger, job.JobId, ex.GetType().Name);
            return [];
        }
    }

    private async Task<IReadOnlyList<Prompt.HistoryLine>> HistoryAsync(AiJobRequested job, CancellationToken ct)
    {
        if (worker.Value.HistoryMessages == 0)
        {
            return [];
        }
        var messages = await api.HistoryAsync(job.ChannelId, job.MessageSeq - 1, worker.Value.HistoryMessages, ct);
        return [.. messages.Where(m => !m.Deleted && m.Content.Length > 0)
            .Select(m => new Prompt.HistoryLine(m.SenderName, m.Content, m.Type == "ai"))];
    }

    private Task PublishAsync(AiReplyDelta delta) =>
        redis.GetSubscriber().PublishAsync(RedisChannel.Literal(AiJobs.DeltaChannel), JsonSerializer.Serialize(delta, JsonSerializerOptions.Web));

    [LoggerMessage(EventId = 5101, EventName = "ai_answered", Level = LogLevel.Information,
        Message = "Job {JobId} in {ChannelId}: {Outcome}, {ResponseLength} characters, {Citations} citations")]
    private static partial void LogAnswered(ILogger logger, Guid jobId, Guid channelId, string outcome, int responseLength, int citations);

    [LoggerMessage(EventId = 5102, EventName = "ai_provider_failed", Level = LogLevel.Warning, Message = "Job {JobId}: provider {Provider} failed: {Reason}")]
    private static partial void LogProviderFailed(ILogger logger, Guid jobId, string provider, string reason);

    [LoggerMessage(EventId = 5103, EventName = "ai_retrieval_failed", Level = LogLevel.Warning, Message = "Job {JobId}: document retrieval failed ({Error}); answering without documents")]
    private static partial void LogRetrievalFailed(ILogger logger, Guid jobId, string error);

    [LoggerMessage(EventId = 5104, EventName = "ai_job_gave_up", Level = LogLevel.Error, Message = "Job {JobId} parked after its last attempt: {Reason}")]
    private static partial void LogGaveUp(ILogger logger, Guid jobId, string reason);
}
