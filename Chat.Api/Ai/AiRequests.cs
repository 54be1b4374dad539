using System.Text.RegularExpressions;
using Chat.Api.Data;
using Chat.Api.Messages;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Ai;

/// <summary>
/// Decides when a message asks the assistant and records the job with its outbox row in the message's transaction.
/// The queue is bounded: with <see cref="AiOptions.MaxQueuedJobs"/> unfinished jobs, new requests are refused as busy.
/// </summary>
public sealed partial class AiRequests(ChatDbContext db, [Microsoft.Extensions.DependencyInjection.FromKeyedServices(AiJobs.Stream)] OutboxPublisher<ChatDbContext> outbox, IAssistantEvents events, IOptions<AiOptions> options,
    TimeProvider clock) : IAssistantTrigger
{
    public const string Busy = "The assistant is busy with other questions; please ask again in a minute.";

    public string BusyText => Busy;

    public static bool MentionsAssistant(string content) => Mention().IsMatch(content);

    public bool IsCalledBy(string content) => MentionsAssistant(content);

    public Task NotifyBusyAsync(Guid userId, Guid channelId) => events.AssistantBusyAsync(userId, channelId, Busy);

    /// <summary>The question without the <c>@assistant</c> mention.</summary>
    public static string Question(string content) => Mention().Replace(content, " ").Trim() is { Length: > 0 } q ? q : content.Trim();

    public async Task<bool> BusyAsync(CancellationToken ct)
    {
        var since = clock.GetUtcNow() - options.Value.StaleAfter;
        var open = await db.AiJobs.CountAsync(j => j.CompletedAt == null && j.CreatedAt > since, ct);
        return open >= options.Value.MaxQueuedJobs;
    }

    /// <summary>Adds the job and its <see cref="AiJobRequested"/> event to <paramref name="writing"/>, the context of the message's transaction.</summary>
    public Task EnqueueAsync(ChatDbContext writing, Message message, CancellationToken ct)
    {
        var job = new AiJob { ChannelId = message.ChannelId, MessageId = message.Id, RequestedBy = message.SenderId };
        writing.AiJobs.Add(job);
        writing.Outbox.Add(OutboxMessage.For(new AiJobRequested(job.Id, job.ChannelId, message.Id, message.Seq, message.SenderId, Question(message.Content))));
        return Task.CompletedTask;
    }

    /// <summary>Wakes the publisher after the commit.</summary>
    public void Committed() => outbox.Notify();

    [GeneratedRegex(@"(?<![\w@])@assistant\b", RegexOptions.IgnoreCase)]
    private static partial Regex Mention();
}
