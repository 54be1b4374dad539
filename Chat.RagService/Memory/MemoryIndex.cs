using Chat.RagService.Data;
using Chat.RagService.Search;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Chat.RagService.Memory;

/// <summary>
/// Keeps this replica's share of the search indexes equal to <c>memory_messages</c>: every message's chunks sit in the
/// same Lucene index and vector index as document chunks (<see cref="IndexSync"/>), grouped by channel (the Lucene
/// content <see cref="Group"/>, the vector block <see cref="Block"/>), so one search ranks messages and passages
/// together and a caller's channels filter it. Every write bumps <see cref="VersionKey"/> in Redis; a search that sees
/// a new version first applies the rows whose revision is past the last one applied here (revisions are given in
/// commit order: see <see cref="MemoryWriter"/>), so no replica serves a message after its deletion has reached it.
/// </summary>
public sealed partial class MemoryIndex(IServiceScopeFactory scopes, IConnectionMultiplexer redis, IndexSync indexes, ILogger<MemoryIndex> logger)
{
    public const string VersionKey = "rag:memory:version";
    private const int Batch = 2000;

    private readonly Dictionary<Guid, (Guid Channel, Guid[] Chunks)> _chunksOf = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Guid> _messageOf = new();
    private readonly ReplicaVersion _version = new(redis, VersionKey);
    private long _revision;

    /// <summary>The Lucene content group of a channel's messages.</summary>
    public static string Group(Guid channelId) => $"ch:{channelId:N}";

    public static bool IsGroup(string content) => content.StartsWith("ch:", StringComparison.Ordinal);

    /// <summary>The vector block of a channel's messages: the channel id (document blocks are keyed by content hashes).</summary>
    public static Guid Block(Guid channelId) => channelId;

    /// <summary>The message a chunk belongs to, when it is a message chunk this replica has applied.</summary>
    public bool TryMessageOf(Guid chunkId, out Guid messageId) => _messageOf.TryGetValue(chunkId, out messageId);

    /// <summary>The channel of a message this replica has applied.</summary>
    public bool TryChannelOf(Guid messageId, out Guid channelId)
    {
        lock (_chunksOf)
        {
            var found = _chunksOf.TryGetValue(messageId, out var entry);
            channelId = entry.Channel;
            return found;
        }
    }

    public Task<long> BumpAsync() => _version.BumpAsync();

    /// <summary>Applies what changed since this replica last looked; returns the version now served.</summary>
    public Task<long> EnsureCurrentAsync(CancellationToken ct) => _version.EnsureCurrentAsync(CatchUpAsync, ct);

    private async Task CatchUpAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
        var applied = 0;
        while (true)
        {
            var rows = await db.MemoryMessages.AsNoTracking().Where(m => m.Revision > _revision).OrderBy(m => m.Revision).Take(Batch)
                .Select(m => new { m.Id, m.ChannelId, m.Removed, m.Revision }).ToListAsync(ct);
            if (rows.Count == 0)
            {
                break;
            }
            var live = rows.Where(r => !r.Removed).Select(r => r.Id).ToList();
            var chunks = (await db.MemoryChunks.AsNoTracking().Where(c => live.Contains(c.MessageId)).OrderBy(c => c.MessageId).ThenBy(c => c.Ordinal)
                .Select(c => new { c.Id, c.MessageId, c.Text, c.Embedding }).ToListAsync(ct)).ToLookup(c => c.MessageId, c => (c.Id, c.Text, c.Embedding));
            foreach (var channel in rows.GroupBy(r => r.ChannelId))
            {
                ApplyChannel(channel.Key, [.. channel.Select(r => (r.Id, r.Removed))], chunks);
            }
            _revision = rows[^1].Revision;
            applied += rows.Count;
        }
        if (applied > 0)
        {
            LogCaughtUp(logger, applied, _chunksOf.Count);
        }
    }

    /// <summary>Replaces (or drops) the given messages of one channel in both indexes: one copy of the channel's vector block.</summary>
    private void ApplyChannel(Guid channelId, IReadOnlyList<(Guid Id, bool Removed)> rows, ILookup<Guid, (Guid Id, string Text, float[] Embedding)> chunks)
    {
        lock (_chunksOf)
        {
            var removedChunks = new List<Guid>();
            var added = new List<(Guid, float[])>();
            var text = new List<(string, Guid, IReadOnlyList<(Guid, string)>)>();
            var removedMessages = new List<Guid>();
            foreach (var row in rows)
            {
                if (_chunksOf.Remove(row.Id, out var old))
                {
                    removedChunks.AddRange(old.Chunks);
                    foreach (var id in old.Chunks)
                    {
                        _messageOf.TryRemove(id, out _);
                    }
                }
                var mine = chunks[row.Id].ToList();
                if (row.Removed || mine.Count == 0)
                {
                    removedMessages.Add(row.Id);
                    continue;
                }
                _chunksOf[row.Id] = (channelId, [.. mine.Select(c => c.Id)]);
                foreach (var c in mine)
                {
                    _messageOf[c.Id] = row.Id;
                    added.Add((c.Id, c.Embedding));
                }
                text.Add((Group(channelId), row.Id, [.. mine.Select(c => (c.Id, c.Text))]));
            }
            indexes.Index.Update(Block(channelId), removedChunks, added);
            indexes.Lexical.Put(text, removedMessages);
        }
    }

    [LoggerMessage(EventId = 4301, EventName = "memory_index_updated", Level = LogLevel.Debug,
        Message = "Message index applied {Changed} changed messages; now {Messages} messages")]
    private static partial void LogCaughtUp(ILogger logger, int changed, int messages);
}
