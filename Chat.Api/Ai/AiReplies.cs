using Chat.Api.Data;
using Chat.Api.Messages;
using ChatAspire.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Ai;

/// <summary>The assistant's final replies, posted through the message write path with the job's completion in the same transaction.</summary>
public sealed class AiReplies(ChatDbContext db, MessageWriter writer, MessageService messages, ChatTelemetry telemetry, IOptions<MessagesOptions> options)
{
    /// <summary>
    /// Persists the assistant's final reply to a job, once: a retried call (the worker crashed after posting) returns
    /// the reply already stored. Posted by the built-in <c>assistant</c> account as an <c>ai</c> message.
    /// </summary>
    public async Task<(MessageDto Message, bool Created)> PostAsync(AiReplyRequest reply, CancellationToken ct)
    {
        var job = await db.AiJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == reply.JobId && j.ChannelId == reply.ChannelId, ct)
            ?? throw ChatException.NotFound("No such assistant job in this channel.");
        var content = reply.Content.Trim();
        if (content.Length == 0)
        {
            throw ChatException.Invalid("The reply is empty.");
        }
        // A reply longer than a message is posted as consecutive messages whose texts join to exactly what was
        // streamed: never cut. The citations go with the last part, where the sources are read.
        var parts = SplitReply(content, options.Value.MaxLength);
        MessageDto? first = null;
        var anyCreated = false;
        for (var i = 0; i < parts.Count; i++)
        {
            var last = i == parts.Count - 1;
            var message = new Message
            {
                ChannelId = job.ChannelId,
                Seq = 0,
                SenderId = Accounts.User.AssistantId,
                ClientMessageId = i == 0 ? job.Id : PartId(job.Id, i), // derived from the job: every part's post is idempotent
                Type = MessageTypes.Ai,
                Content = parts[i],
                ReplyToId = job.MessageId,
                Citations = last && reply.Citations.Count > 0 ? System.Text.Json.JsonSerializer.Serialize(reply.Citations, System.Text.Json.JsonSerializerOptions.Web) : null,
            };
            var firstId = first?.Id;
            // The system's post (no access check: the worker's job says where), with the job's completion in its transaction.
            var completion = !last ? null : new MessageWriter.InTransaction((writing, m, token) =>
            {
                var status = reply.Outcome is AiJobStatus.Failed or AiJobStatus.Cancelled ? reply.Outcome : AiJobStatus.Completed;
                var replyId = firstId ?? m.Id;
                return writing.AiJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, status).SetProperty(j => j.CompletedAt, DateTimeOffset.UtcNow).SetProperty(j => j.ReplyMessageId, replyId), token);
            });
            var written = await writer.WriteAsync(message, sender: null, completion, handBackAiMode: false, ct);
            var dto = written.Created ? written.Dto! : await messages.StoredAsync(written.Message!.Id, ct);
            first ??= dto;
            if (written.Created)
            {
                anyCreated = true;
                telemetry.MessageSent(Accounts.Roles.User, MessageTypes.Ai);
            }
        }
        return (first!, anyCreated);
    }

    /// <summary>Cuts <paramref name="text"/> into pieces of at most <paramref name="max"/> characters that join back to it exactly, at a line or word end where one is near.</summary>
    internal static IReadOnlyList<string> SplitReply(string text, int max)
    {
        var parts = new List<string>();
        var start = 0;
        while (text.Length - start > max)
        {
            var window = text.AsSpan(start, max);
            var cut = window.LastIndexOf('\n');
            if (cut < max / 2)
            {
                cut = window.LastIndexOf(' ');
            }
            var length = cut >= max / 2 ? cut + 1 : max;
            if (char.IsHighSurrogate(text[start + length - 1]))
            {
                length--; // never split a surrogate pair
            }
            parts.Add(text.Substring(start, length));
            start += length;
        }
        parts.Add(text[start..]);
        return parts;
    }

    private static Guid PartId(Guid jobId, int part)
    {
        Span<byte> input = stackalloc byte[20];
        jobId.TryWriteBytes(input);
        BitConverter.TryWriteBytes(input[16..], part);
        return new Guid(System.Security.Cryptography.SHA256.HashData(input)[..16]);
    }
}
