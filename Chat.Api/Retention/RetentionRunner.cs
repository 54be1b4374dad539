using Chat.Api.Attachments;
using Chat.Api.Audit;
using Chat.Api.Channels;
using Chat.Api.Data;
using Chat.Api.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.Api.Retention;

/// <summary>What a retention run deleted.</summary>
public sealed record RetentionRunResult(bool Ran, int Channels, long Messages, int Files);

/// <summary>
/// Deletes what retention says is too old: per channel, the messages older than its days (its own setting or the global
/// default), with their reactions and earlier texts (foreign keys), and each attachment no remaining message refers to,
/// through Chat.Files (the blob goes, and its files:events "deleted" takes the RAG document and chunks with it). An
/// attachment is deleted before the messages that hold it, so a failure (Chat.Files down) leaves both for the next run.
/// Deleted seqs stay deleted: history simply skips them (docs/realtime.md). One replica runs at a time (an advisory lock).
/// </summary>
public sealed partial class RetentionRunner(ChatDbContext db, FilesClient files, VisibilityEpoch visibility, AuditLog audit, MessageIndexFeed index, TimeProvider clock,
    IOptions<RetentionOptions> options, ILogger<RetentionRunner> logger)
{
    private const long LockKey = 7401;

    public async Task<RetentionRunResult> RunAsync(CancellationToken ct)
    {
        var o = options.Value;
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (!await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({LockKey}) AS \"Value\"").SingleAsync(ct))
            {
                return new RetentionRunResult(false, 0, 0, 0);
            }
            try
            {
                return await RunLockedAsync(o, ct);
            }
            finally
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<RetentionRunResult> RunLockedAsync(RetentionOptions o, CancellationToken ct)
    {
        var withDefault = o.DefaultDays is not null;
        var settings = await db.Channels.AsNoTracking()
            .Where(c => c.RetentionDays > 0 || (c.RetentionDays == null && withDefault))
            .Select(c => new { c.Id, c.RetentionDays }).ToListAsync(ct);
        var channels = settings.Select(c => new { c.Id, Days = c.RetentionDays ?? o.DefaultDays!.Value }).ToList();
        var now = clock.GetUtcNow();
        long messages = 0;
        var deletedFiles = 0;
        var touched = 0;
        foreach (var channel in channels)
        {
            var cutoff = now.AddDays(-channel.Days);
            var before = messages;
            while (true)
            {
                var batch = await db.Messages.AsNoTracking().Where(m => m.ChannelId == channel.Id && m.CreatedAt < cutoff)
                    .OrderBy(m => m.Seq).Take(o.BatchSize).Select(m => new { m.Id, m.Attachments }).ToListAsync(ct);
                if (batch.Count == 0)
                {
                    break;
                }
                var ids = batch.Select(m => m.Id).ToList();
                foreach (var fileId in batch.SelectMany(m => m.Attachments).Distinct())
                {
                    // Shared elsewhere (another channel, a newer message): the file stays for them.
                    if (!await db.Messages.AnyAsync(m => m.Attachments.Contains(fileId) && !ids.Contains(m.Id), ct))
                    {
                        await files.DeleteAsync(fileId, ct);
                        deletedFiles++;
                    }
                }
                await index.MarkStaleAsync(ids, now);
                await using (var tx = await db.Database.BeginTransactionAsync(ct))
                {
                    messages += await db.Messages.Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(ct);
                    db.Outbox.Add(MessageIndexFeed.Removed(channel.Id, ids, now));
                    await db.SaveChangesAsync(ct);
                    await tx.CommitAsync(ct);
                }
                index.Committed();
            }
            if (messages > before)
            {
                touched++;
                LogChannelTrimmed(logger, channel.Id, messages - before, channel.Days);
            }
        }
        if (messages > 0)
        {
            await visibility.ChangedAsync(); // attachments of deleted messages are no one's to see any more
            await audit.RecordAsync(db, new AuditRecord(AuditActions.RetentionRun, null, "retention", null, null,
                Detail: $"{messages} messages in {touched} channels, {deletedFiles} files"), ct);
        }
        return new RetentionRunResult(true, touched, messages, deletedFiles);
    }

    [LoggerMessage(EventId = 2801, EventName = "retention_deleted", Level = LogLevel.Information,
        Message = "retention_deleted {Count} messages of channel {ChannelId} (older than {Days} days)")]
    private static partial void LogChannelTrimmed(ILogger logger, Guid channelId, long count, int days);
}
