using System.Diagnostics;
using Chat.Api.Accounts;
using Chat.Api.Channels;
using Chat.Api.Data;
using ChatAspire.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Chat.Api.Messages;

/// <summary>
/// The one write path for every message (people's sends, the assistant's jobs and replies): group commit. Every write
/// waiting at the same moment goes into one transaction of two round trips (lock the channels' counter rows in id order
/// and look up retried client ids and reply targets; then bump the counters, move the senders' read marks, insert every
/// message, commit). Under load a transaction carries many messages instead of one, which is what lets the system go
/// past one-transaction-per-message. Per-channel <c>seq</c> stays gap-free (numbers are taken under the row lock, in
/// arrival order, only for messages that are inserted) and a retried <c>clientMessageId</c> returns the original
/// (looked up under the same lock, and within the batch itself). A write may carry work of its own for the same
/// transaction (<see cref="InTransaction"/>: an assistant job, a job's completion), which then costs its own round trips
/// before the commit. The writer builds each message's DTO once, answers the sender with it and announces it, in seq order.
/// </summary>
public sealed partial class MessageWriter(
    IServiceScopeFactory scopes, UserDirectory users, IMessageEvents notifier, MessageIndexFeed index, DatabaseQueryObserver queries, ILogger<MessageWriter> logger)
    : BackgroundService
{
    /// <summary>Most messages in one transaction: bounds the statement size and the latency of the first in line.</summary>
    public const int MaxBatch = 256;

    private readonly System.Threading.Channels.Channel<Pending> _queue =
        System.Threading.Channels.Channel.CreateUnbounded<Pending>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });

    /// <summary>Committed batches, announced one after the other so that each channel's MessageCreated events leave in seq order.</summary>
    private readonly System.Threading.Channels.Channel<MessageDto[]> _committed =
        System.Threading.Channels.Channel.CreateUnbounded<MessageDto[]>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>
    /// Work that belongs in the message's transaction, run once the message has its seq (and only when it is inserted,
    /// not for a retry), on the writer's context: add entities to it or run commands through it; the writer saves.
    /// <paramref name="AfterCommit"/> runs once the transaction has committed.
    /// </summary>
    public sealed record InTransaction(Func<ChatDbContext, Message, CancellationToken, Task> Write, Action? AfterCommit = null);

    /// <summary>
    /// What became of a write: the stored message and its DTO when it was inserted (<c>Created</c>); for a retry, the
    /// original's id only (<see cref="Message"/> without content; the caller loads it); a null message when the channel
    /// has AI mode on and the write was asked to hand such sends back (nothing was written).
    /// </summary>
    public readonly record struct Written(Message? Message, MessageDto? Dto, bool Created);

    private readonly record struct Outcome(Message? Message, bool Created, ChatException? Refusal);

    private sealed record Pending(Message Message, Caller? Sender, InTransaction? With, bool HandBackAiMode, Activity? Origin,
        TaskCompletionSource<Written> Done);

    /// <summary>
    /// Queues <paramref name="message"/> (its <c>Seq</c> is ignored) and completes when its transaction has committed.
    /// With a <paramref name="sender"/>, the channel rule (<see cref="ChannelAccess.EnsureWritable"/>) is checked in the
    /// same transaction, under the lock; without one the message is the system's (the assistant's reply) and is not checked.
    /// </summary>
    /// <param name="handBackAiMode">A plain send: in a channel with AI mode on, write nothing and return a null message,
    /// so that the caller decides on the assistant's job and writes again.</param>
    public async Task<Written> WriteAsync(Message message, Caller? sender, InTransaction? with, bool handBackAiMode, CancellationToken ct)
    {
        var pending = new Pending(message, sender, with, handBackAiMode, Activity.Current,
            new TaskCompletionSource<Written>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ChatException(ChatErrorKind.Unavailable, "This server is shutting down; retry (with the same clientMessageId) and another one answers.",
                TimeSpan.FromSeconds(1));
        }
        // Once queued the write happens whatever the caller does: waiting is what the token may cancel, not the write.
        return await pending.Done.Task.WaitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var announcing = AnnounceAsync();
        await WriteLoopAsync(stoppingToken);
        _committed.Writer.TryComplete();
        await announcing;
    }

    private async Task AnnounceAsync()
    {
        await foreach (var messages in _committed.Reader.ReadAllAsync())
        {
            try
            {
                // Issued in seq order on the backplane's one Redis connection (which keeps the order) and awaited together:
                // a batch costs one round trip, not one per message.
                await Task.WhenAll(messages.Select(notifier.MessageCreatedAsync).ToList());
            }
            catch (Exception ex)
            {
                // Stored is stored: clients that miss the event catch up by seq (docs/realtime.md).
                LogAnnounceFailed(logger, messages.Length, ex);
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(MaxBatch);
        // Drain what is queued even while stopping: a graceful stop completes the sends already accepted.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }
            try
            {
                await WriteBatchAsync(batch);
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal))
            {
                // A statement refused some data (a data or integrity error), so nothing of the batch was written. One bad
                // message must not fail the others: write them one by one, each its own transaction. (Any other failure may
                // have hit the commit itself: then the senders are told, and their retries with the same client id find
                // what was stored.)
                LogBatchFailed(logger, batch.Count, ex);
                foreach (var pending in batch)
                {
                    try
                    {
                        await WriteBatchAsync([pending]);
                    }
                    catch (Exception single)
                    {
                        pending.Done.TrySetException(single);
                    }
                }
            }
            catch (Exception ex)
            {
                LogBatchFailed(logger, batch.Count, ex);
                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(ex);
                }
            }
            if (stoppingToken.IsCancellationRequested)
            {
                _queue.Writer.TryComplete();
            }
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    private async Task WriteBatchAsync(IReadOnlyList<Pending> batch)
    {
        // The batch's own trace (sampled as high-volume work): its database calls are children, never traces of their own.
        using var activity = ChatTelemetry.Source.StartActivity("message.batch", ActivityKind.Internal, default(ActivityContext),
            ChatAspire.ServiceDefaults.Observability.VolumeAwareSampler.HighVolumeTags);
        activity?.SetTag("messaging.batch.message_count", batch.Count);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never; // the batch's own BEGIN and COMMIT hold everything
        // The senders' names for the message index (cached by the directory; without them the index shows none).
        IReadOnlyDictionary<Guid, string> senderNames;
        try
        {
            senderNames = await users.NamesAsync(batch.Select(p => p.Message.SenderId).Distinct(), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            senderNames = new Dictionary<Guid, string>();
        }
        await db.Database.OpenConnectionAsync();
        Outcome[] outcomes;
        try
        {
            var started = Stopwatch.GetTimestamp();
            outcomes = await WriteAsync(db, batch, senderNames);
            queries.Record("insert", Stopwatch.GetElapsedTime(started), ok: true);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        foreach (var (pending, outcome) in batch.Zip(outcomes))
        {
            if (outcome.Created)
            {
                pending.With?.AfterCommit?.Invoke();
            }
        }
        if (outcomes.Any(o => o.Created && MessageIndexFeed.Indexed(o.Message!.Type)))
        {
            index.Committed();
        }

        // Each new message's DTO, built once: the sender's answer and the announcement are the same object.
        var created = outcomes.Where(o => o.Created).Select(o => o.Message!).ToArray();
        Dictionary<Guid, MessageDto> dtos;
        try
        {
            var names = await users.NamesAsync(created.Select(m => m.SenderId), CancellationToken.None);
            dtos = created.ToDictionary(m => m.Id, m => MessageService.ToDto(m, names));
        }
        catch (Exception ex)
        {
            // Committed but not described: the senders are told, and their retries (same client id) get the originals.
            LogAnnounceFailed(logger, created.Length, ex);
            foreach (var (pending, outcome) in batch.Zip(outcomes))
            {
                _ = outcome.Created ? pending.Done.TrySetException(ex) : Complete(pending, outcome, null);
            }
            return;
        }
        if (created.Length > 0)
        {
            _committed.Writer.TryWrite([.. created.OrderBy(m => m.ChannelId).ThenBy(m => m.Seq).Select(m => dtos[m.Id])]);
        }
        foreach (var (pending, outcome) in batch.Zip(outcomes))
        {
            Complete(pending, outcome, outcome.Created ? dtos[outcome.Message!.Id] : null);
        }
    }

    private static bool Complete(Pending pending, Outcome outcome, MessageDto? dto) => outcome.Refusal is { } refusal
        ? pending.Done.TrySetException(refusal)
        : pending.Done.TrySetResult(new Written(outcome.Message, dto, outcome.Created));

    private static async Task<Outcome[]> WriteAsync(ChatDbContext db, IReadOnlyList<Pending> batch, IReadOnlyDictionary<Guid, string> senderNames)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var messages = batch.Select(p => p.Message).ToArray();
        var callers = batch.Select(p => p.Sender).ToArray();
        var channelIds = messages.Select(m => m.ChannelId).Distinct().Order().ToArray();
        var keyed = messages.Where(m => m.ClientMessageId is not null).ToArray();
        var replyIds = messages.Where(m => m.ReplyToId is not null).Select(m => m.ReplyToId!.Value).Distinct().ToArray();

        // Round trip 1: begin, lock the counters (in id order: two replicas' batches never deadlock), then, under the
        // lock, find retried client ids and the channels of messages replied to.
        var lastSeq = new Dictionary<Guid, long>();
        var channels = new Dictionary<Guid, (string Kind, bool Archived, bool AiMode)>();
        var members = new HashSet<(Guid Channel, Guid User)>();
        var existing = new Dictionary<(Guid Channel, Guid Sender, Guid Client), Guid>();
        var replyChannel = new Dictionary<Guid, Guid>();
        await using (var read = new NpgsqlBatch(connection))
        {
            read.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            read.BatchCommands.Add(Command("""
                SELECT "Id", "LastSeq", "Kind", "ArchivedAt" IS NOT NULL, "AiMode" FROM channels WHERE "Id" = ANY($1) ORDER BY "Id" FOR UPDATE
                """, channelIds));
            var senders = messages.Select(m => (m.ChannelId, m.SenderId)).Distinct().ToArray();
            read.BatchCommands.Add(Command("""
                SELECT m."ChannelId", m."UserId" FROM channel_members m JOIN unnest($1::uuid[], $2::uuid[]) AS k(c, u) ON m."ChannelId" = k.c AND m."UserId" = k.u
                """, senders.Select(k => k.ChannelId).ToArray(), senders.Select(k => k.SenderId).ToArray()));
            read.BatchCommands.Add(Command("""
                SELECT m."ChannelId", m."SenderId", m."ClientMessageId", m."Id" FROM messages m
                JOIN unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS k(c, s, id) ON m."ChannelId" = k.c AND m."SenderId" = k.s AND m."ClientMessageId" = k.id
                """, keyed.Select(m => m.ChannelId).ToArray(), keyed.Select(m => m.SenderId).ToArray(), keyed.Select(m => m.ClientMessageId!.Value).ToArray()));
            read.BatchCommands.Add(Command("""SELECT "Id", "ChannelId" FROM messages WHERE "Id" = ANY($1)""", replyIds));
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lastSeq[reader.GetGuid(0)] = reader.GetInt64(1);
                channels[reader.GetGuid(0)] = (reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(4));
            }
            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                members.Add((reader.GetGuid(0), reader.GetGuid(1)));
            }
            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                existing[(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2))] = reader.GetGuid(3);
            }
            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                replyChannel[reader.GetGuid(0)] = reader.GetGuid(1);
            }
        }

        // Numbers in arrival order, only for messages that will be inserted.
        var outcomes = new Outcome[messages.Length];
        var inserted = new List<Message>(messages.Length);
        var retries = new List<(int Index, Guid? Original, int First)>();
        var firstInBatch = new Dictionary<(Guid, Guid, Guid), int>();
        for (var i = 0; i < messages.Length; i++)
        {
            var m = messages[i];
            if (!lastSeq.TryGetValue(m.ChannelId, out var last))
            {
                outcomes[i] = new(null, false, ChatException.NotFound("No such channel."));
                continue;
            }
            var channel = channels[m.ChannelId];
            try
            {
                if (callers[i] is { } caller)
                {
                    ChannelAccess.EnsureWritable(caller, channel.Kind, channel.Archived, members.Contains((m.ChannelId, m.SenderId)));
                }
            }
            catch (ChatException refused)
            {
                outcomes[i] = new(null, false, refused);
                continue;
            }
            if (m.ClientMessageId is { } clientId)
            {
                var key = (m.ChannelId, m.SenderId, clientId);
                if (existing.TryGetValue(key, out var originalId))
                {
                    retries.Add((i, originalId, -1));
                    continue;
                }
                if (firstInBatch.TryGetValue(key, out var first))
                {
                    retries.Add((i, null, first)); // the same send twice in one batch: the second is a retry of the first
                    continue;
                }
                firstInBatch[key] = i;
            }
            if (channel.AiMode && batch[i].HandBackAiMode)
            {
                outcomes[i] = new(null, false, null); // the assistant path writes it, with its job
                continue;
            }
            if (m.ReplyToId is { } replyTo && (!replyChannel.TryGetValue(replyTo, out var repliedIn) || repliedIn != m.ChannelId))
            {
                outcomes[i] = new(null, false, ChatException.Invalid("The message replied to is not in this channel."));
                continue;
            }
            var stored = new Message
            {
                Id = m.Id, ChannelId = m.ChannelId, Seq = last + 1, SenderId = m.SenderId, ClientMessageId = m.ClientMessageId,
                Type = m.Type, Content = m.Content, ReplyToId = m.ReplyToId, Attachments = m.Attachments, Citations = m.Citations, CreatedAt = m.CreatedAt,
                Mentions = m.Mentions, AuthorName = m.AuthorName,
            };
            lastSeq[m.ChannelId] = last + 1;
            inserted.Add(stored);
            outcomes[i] = new(stored, true, null);
        }

        // Round trip 2: counters, read marks, messages, commit.
        await using (var write = new NpgsqlBatch(connection))
        {
            if (inserted.Count > 0)
            {
                var counters = inserted.GroupBy(m => m.ChannelId).Select(g => (Id: g.Key, Last: g.Max(m => m.Seq))).ToArray();
                write.BatchCommands.Add(Command("""
                    UPDATE channels AS c SET "LastSeq" = v.last FROM unnest($1::uuid[], $2::bigint[]) AS v(id, last) WHERE c."Id" = v.id
                    """, counters.Select(c => c.Id).ToArray(), counters.Select(c => c.Last).ToArray()));
                var marks = inserted.GroupBy(m => (m.ChannelId, m.SenderId)).Select(g => (g.Key.ChannelId, g.Key.SenderId, Seq: g.Max(m => m.Seq))).ToArray();
                write.BatchCommands.Add(Command("""
                    UPDATE channel_members AS m SET "LastReadSeq" = v.seq FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS v(c, u, seq)
                    WHERE m."ChannelId" = v.c AND m."UserId" = v.u AND m."LastReadSeq" < v.seq
                    """, marks.Select(k => k.ChannelId).ToArray(), marks.Select(k => k.SenderId).ToArray(), marks.Select(k => k.Seq).ToArray()));
                write.BatchCommands.Add(Command("""
                    INSERT INTO messages ("Id", "ChannelId", "Seq", "SenderId", "ClientMessageId", "Type", "Content", "ReplyToId", "Attachments", "Citations", "CreatedAt", "Mentions", "AuthorName")
                    SELECT v.id, v.channel, v.seq, v.sender, v.client, v.type, v.content, v.reply, v.attachments::uuid[], v.citations::jsonb, v.created, v.mentions::uuid[], v.author
                    FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::uuid[], $9::text[], $10::text[], $11::timestamptz[], $12::text[], $13::text[])
                      AS v(id, channel, seq, sender, client, type, content, reply, attachments, citations, created, mentions, author)
                    """,
                    inserted.Select(m => m.Id).ToArray(), inserted.Select(m => m.ChannelId).ToArray(), inserted.Select(m => m.Seq).ToArray(),
                    inserted.Select(m => m.SenderId).ToArray(), inserted.Select(m => m.ClientMessageId).ToArray(),
                    inserted.Select(m => m.Type).ToArray(), inserted.Select(m => m.Content).ToArray(),
                    inserted.Select(m => m.ReplyToId).ToArray(),
                    inserted.Select(m => "{" + string.Join(',', m.Attachments) + "}").ToArray(),
                    inserted.Select(m => m.Citations).ToArray(),
                    inserted.Select(m => m.CreatedAt).ToArray(),
                    inserted.Select(m => "{" + string.Join(',', m.Mentions) + "}").ToArray(),
                    inserted.Select(m => m.AuthorName).ToArray()));
                if (MessageIndexFeed.InsertCommand(inserted, senderNames) is { } remember)
                {
                    write.BatchCommands.Add(remember); // the message index learns of them in the same transaction
                }
            }
            // Work of the writes' own (an assistant job, a job's completion) goes in before the commit, in their round trips.
            var extras = batch.Select((p, i) => (p.With, p.Origin, Stored: outcomes[i].Created ? outcomes[i].Message : null))
                .Where(e => e.With is not null && e.Stored is not null).ToList();
            if (extras.Count == 0)
            {
                write.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            }
            try
            {
                if (write.BatchCommands.Count > 0)
                {
                    await write.ExecuteNonQueryAsync();
                }
                if (extras.Count > 0)
                {
                    var current = Activity.Current;
                    foreach (var (with, origin, stored) in extras)
                    {
                        Activity.Current = origin; // what the work records (an outbox row's trace parent) belongs to the send's trace
                        try
                        {
                            await with!.Write(db, stored!, CancellationToken.None);
                        }
                        finally
                        {
                            Activity.Current = current;
                        }
                    }
                    await db.SaveChangesAsync(CancellationToken.None);
                    await using var commit = new NpgsqlCommand("COMMIT", connection);
                    await commit.ExecuteNonQueryAsync();
                }
            }
            catch
            {
                await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
                await rollback.ExecuteNonQueryAsync();
                throw;
            }
        }

        // A retry answers with the original (the caller loads it); a refused first of a pair refuses its copy too.
        foreach (var (index, original, first) in retries)
        {
            var m = messages[index];
            outcomes[index] = (original ?? outcomes[first].Message?.Id) is { } id
                ? new(new Message { Id = id, ChannelId = m.ChannelId, Seq = 0, SenderId = m.SenderId, Type = m.Type, Content = "" }, false, null)
                : outcomes[first];
        }
        return outcomes;
    }

    private static NpgsqlBatchCommand Command(string sql, params Array[] arrays)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var array in arrays)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = array });
        }
        return command;
    }

    [LoggerMessage(EventId = 2011, EventName = "message_announce_failed", Level = LogLevel.Warning,
        Message = "message_announce_failed: {Count} committed messages were not announced live; clients catch up by seq")]
    private static partial void LogAnnounceFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 2010, EventName = "message_batch_failed", Level = LogLevel.Warning,
        Message = "message_batch_failed: a batch of {Count} messages failed; writing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
