using Chat.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Messages;

/// <summary>
/// Brings the messages written before the team memory existed into it, once: each channel's
/// <c>MemoryBackfillSeq</c> (set to its last seq by the migration that added the feed) names the newest message the
/// feed never carried. At start, one replica at a time (a transaction-scoped advisory lock per batch) writes their
/// <see cref="MessageIndexFeed"/> rows, newest first, 500 messages per transaction, and lowers the mark with them; a
/// restart continues where it stopped. Nothing is left to do on a new installation, and then it costs one query.
/// </summary>
public sealed partial class MemoryBackfill(IServiceScopeFactory scopes, MessageIndexFeed index, Accounts.UserDirectory users, ILogger<MemoryBackfill> logger)
    : BackgroundService
{
    private const long BatchLock = 7403;
    private const int Batch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            long total = 0;
            while (!stoppingToken.IsCancellationRequested)
            {
                var written = await BatchAsync(stoppingToken);
                if (written < 0)
                {
                    break;
                }
                total += written;
            }
            if (total > 0)
            {
                LogBackfilled(logger, total);
            }
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogBackfillFailed(logger, ex.GetType().Name); // the marks say where it stopped: the next start goes on from there
        }
    }

    /// <summary>One batch of one channel; -1 when no channel has anything left (or another replica holds the lock).</summary>
    private async Task<int> BatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The lock and the scan for a channel left to feed run at every start, on a cold database: upkeep, not queries to tune.
        using (ChatAspire.ServiceDefaults.Data.DatabaseQueryObserver.Upkeep())
        {
            if (!await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({BatchLock}) AS \"Value\"").SingleAsync(ct))
            {
                return -1;
            }
        }
        Guid channelId;
        long backfillSeq;
        using (ChatAspire.ServiceDefaults.Data.DatabaseQueryObserver.Upkeep())
        {
            var next = await db.Channels.Where(c => c.MemoryBackfillSeq > 0).OrderBy(c => c.Id).Select(c => new { c.Id, c.MemoryBackfillSeq })
                .FirstOrDefaultAsync(ct);
            if (next is null)
            {
                return -1;
            }
            (channelId, backfillSeq) = (next.Id, next.MemoryBackfillSeq);
        }
        var channel = new { Id = channelId, MemoryBackfillSeq = backfillSeq };
        var messages = await db.Messages.AsNoTracking()
            .Where(m => m.ChannelId == channel.Id && m.Seq <= channel.MemoryBackfillSeq && m.Seq > channel.MemoryBackfillSeq - Batch && m.DeletedAt == null)
            .ToListAsync(ct);
        db.Outbox.AddRange(MessageIndexFeed.Written(messages, await users.NamesAsync(messages.Select(m => m.SenderId).Distinct(), ct)));
        var rest = Math.Max(0, channel.MemoryBackfillSeq - Batch);
        await db.Channels.Where(c => c.Id == channel.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.MemoryBackfillSeq, rest), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        index.Committed();
        return messages.Count;
    }

    [LoggerMessage(EventId = 2960, EventName = "memory_backfilled", Level = LogLevel.Information,
        Message = "memory_backfilled: {Count} messages written before the team memory existed were handed to it")]
    private static partial void LogBackfilled(ILogger logger, long count);

    [LoggerMessage(EventId = 2961, EventName = "memory_backfill_failed", Level = LogLevel.Warning,
        Message = "memory_backfill_failed ({Error}); the next start continues where it stopped")]
    private static partial void LogBackfillFailed(ILogger logger, string error);
}
