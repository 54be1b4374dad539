using Chat.RagService.Data;
using Chat.RagService.Ingestion;
using Chat.RagService.Retrieval;
using ChatAspire.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Chat.RagService.Memory;

/// <summary>
/// Stores what <see cref="MessageIndexEvents"/> report: a written message's text in chunks with their embeddings, a deleted
/// one as a tombstone with nothing left of its text. Idempotent (a repeated event changes nothing) and order-proof: a
/// message's older version never replaces a newer one, and nothing brings back a deleted message. Writes hold one
/// advisory lock, so revisions are given in commit order, and every replica's <see cref="MemoryIndex"/> can follow them.
/// </summary>
public sealed class MemoryWriter(RagDbContext db, IEmbeddingGenerator<string, Embedding<float>> embedder, IOptions<IngestionOptions> options,
    MemoryIndex index, StackExchange.Redis.IConnectionMultiplexer redis)
{
    private const long WriteLock = 4301;

    /// <summary>Removes a stale mark (<see cref="MessageIndexEvents.StaleKey"/>) only when it is for this change or an older one.</summary>
    private const string ClearStale = """
        local at = redis.call('GET', KEYS[1])
        if at and tonumber(at) <= tonumber(ARGV[1]) then
          redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    public async Task WrittenAsync(MessagesWritten written, CancellationToken ct)
    {
        var candidates = written.Messages.DistinctBy(m => m.Id).ToList();
        if (candidates.Count == 0)
        {
            return;
        }
        // What is already stored, before the model runs: a repeated event (a redelivery) costs one query.
        var ids = candidates.Select(m => m.Id).ToList();
        var known = await db.MemoryMessages.AsNoTracking().Where(m => ids.Contains(m.Id))
            .ToDictionaryAsync(m => m.Id, m => (m.ChangedAt, m.Removed), ct);
        candidates = [.. candidates.Where(m => !known.TryGetValue(m.Id, out var k) || (!k.Removed && k.ChangedAt < m.ChangedAt))];
        if (candidates.Count == 0)
        {
            return;
        }
        var chunker = new TokenChunker(options.Value.ChunkTokens, options.Value.OverlapTokens);
        var pieces = candidates.Select(m => string.IsNullOrWhiteSpace(m.Text) ? [] : chunker.Chunk([new Section(m.Text)])).ToList();
        var texts = pieces.SelectMany(p => p.Select(c => c.Text)).ToList();
        var vectors = texts.Count == 0 ? [] : await embedder.GenerateAsync(texts, cancellationToken: ct);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var revision = await LockAsync(ct);
        // Again under the lock: another replica may have stored a newer version meanwhile.
        var rows = await db.MemoryMessages.Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, ct);
        var next = 0;
        var changed = new List<Guid>();
        var newChunks = new List<MemoryChunk>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var m = candidates[i];
            var embedded = vectors.Skip(next).Take(pieces[i].Count).ToList();
            next += pieces[i].Count;
            if (rows.TryGetValue(m.Id, out var row))
            {
                if (row.Removed || row.ChangedAt >= m.ChangedAt)
                {
                    continue;
                }
            }
            else
            {
                row = new MemoryMessage { Id = m.Id, ChannelId = m.ChannelId };
                db.MemoryMessages.Add(row);
            }
            row.Seq = m.Seq;
            row.SenderId = m.SenderId;
            row.SenderName = m.SenderName.Length > 100 ? m.SenderName[..100] : m.SenderName;
            row.ReplyToId = m.ReplyToId;
            row.Text = m.Text;
            row.CreatedAt = m.CreatedAt;
            row.ChangedAt = m.ChangedAt;
            row.Revision = ++revision;
            changed.Add(m.Id);
            newChunks.AddRange(pieces[i].Select((c, j) => new MemoryChunk
            {
                Id = Guid.CreateVersion7(), MessageId = m.Id, Ordinal = c.Ordinal, Text = c.Text, Embedding = embedded[j].Vector.ToArray(),
            }));
        }
        if (changed.Count == 0)
        {
            return;
        }
        await db.MemoryChunks.Where(c => changed.Contains(c.MessageId)).ExecuteDeleteAsync(ct);
        db.MemoryChunks.AddRange(newChunks);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await index.BumpAsync();
        await ClearStaleAsync(candidates.Where(m => changed.Contains(m.Id)).Select(m => (m.Id, m.ChangedAt)));
    }

    /// <summary>The edits just applied are searchable again (their marks were set by Chat.Api before it committed them).</summary>
    private async Task ClearStaleAsync(IEnumerable<(Guid Id, DateTimeOffset ChangedAt)> applied)
    {
        var redisDb = redis.GetDatabase();
        await Task.WhenAll(applied.Select(a => redisDb.ScriptEvaluateAsync(ClearStale, [MessageIndexEvents.StaleKey(a.Id)], [a.ChangedAt.UtcTicks])));
    }

    public async Task RemovedAsync(MessagesRemoved removed, CancellationToken ct)
    {
        var ids = removed.MessageIds.Distinct().ToList();
        if (ids.Count == 0)
        {
            return;
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var revision = await LockAsync(ct);
        var rows = await db.MemoryMessages.Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, ct);
        var changed = 0;
        foreach (var id in ids)
        {
            if (!rows.TryGetValue(id, out var row))
            {
                // Deleted before its text arrived (or an event before this version): the tombstone keeps it out for good.
                row = new MemoryMessage { Id = id, ChannelId = removed.ChannelId };
                db.MemoryMessages.Add(row);
            }
            else if (row.Removed)
            {
                continue;
            }
            row.Removed = true;
            row.Text = "";
            row.ChangedAt = removed.RemovedAt;
            row.Revision = ++revision;
            changed++;
        }
        if (changed == 0)
        {
            return;
        }
        await db.MemoryChunks.Where(c => ids.Contains(c.MessageId)).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await index.BumpAsync();
    }

    /// <summary>Takes the writers' lock for this transaction and returns the last revision given.</summary>
    private async Task<long> LockAsync(CancellationToken ct)
    {
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({WriteLock})", ct);
        return await db.MemoryMessages.MaxAsync(m => (long?)m.Revision, ct) ?? 0;
    }
}
