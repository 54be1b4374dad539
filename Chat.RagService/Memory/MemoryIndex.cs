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

    /// <summary>Chunks read before they are applied in one go (about 75 MB of vectors).</summary>
    private const int ApplyChunks = 50_000;

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

    /// <summary>
    /// Reads the rows past the last revision applied here, in pages, and applies them in sets of up to
    /// <see cref="ApplyChunks"/> chunks: each set costs one copy of each channel block it touches and one reopen of the
    /// Lucene searcher, so a replica starting on a million messages loads them in one pass instead of copying a growing
    /// channel block for every page.
    /// </summary>
    private async Task CatchUpAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
        var applied = 0;
        var read = _revision;
        // The latest state of each message read so far, by channel (a message changed during the pass is read again, later).
        var pending = new Dictionary<Guid, Dictionary<Guid, (Guid Id, string Text, float[] Embedding)[]?>>();
        var pendingChunks = 0;
        while (true)
        {
            var rows = await db.MemoryMessages.AsNoTracking().Where(m => m.Revision > read).OrderBy(m => m.Revision).Take(Batch)
                .Select(m => new { m.Id, m.ChannelId, m.Removed, m.Revision }).ToListAsync(ct);
            if (rows.Count == 0)
            {
                break;
            }
            var live = rows.Where(r => !r.Removed).Select(r => r.Id).ToList();
            var chunks = (await db.MemoryChunks.AsNoTracking().Where(c => live.Contains(c.MessageId)).OrderBy(c => c.MessageId).ThenBy(c => c.Ordinal)
                .Select(c => new { c.Id, c.MessageId, c.Text, c.Embedding }).ToListAsync(ct)).ToLookup(c => c.MessageId, c => (c.Id, c.Text, c.Embedding));
            foreach (var row in rows)
            {
                var mine = row.Removed ? null : chunks[row.Id].ToArray();
                if (!pending.TryGetValue(row.ChannelId, out var channel))
                {
                    pending[row.ChannelId] = channel = [];
                }
                channel[row.Id] = mine is { Length: > 0 } ? mine : null;
                pendingChunks += mine?.Length ?? 0;
            }
            read = rows[^1].Revision;
            applied += rows.Count;
            if (pendingChunks >= ApplyChunks)
            {
                Apply(pending);
                _revision = read;
                (pending, pendingChunks) = ([], 0);
            }
        }
        Apply(pending);
        _revision = read;
        if (applied > 0)
        {
            LogCaughtUp(logger, applied, _chunksOf.Count);
        }
    }

    /// <summary>Replaces (or drops, where the chunks are null) messages in both indexes: one copy of each touched channel block.</summary>
    private void Apply(Dictionary<Guid, Dictionary<Guid, (Guid Id, string Text, float[] Embedding)[]?>> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }
        lock (_chunksOf)
        {
            var blocks = new List<(Guid, IReadOnlyCollection<Guid>, IReadOnlyList<(Guid, float[])>)>();
            var text = new List<(string, Guid, IReadOnlyList<(Guid, string)>)>();
            var replaced = new List<Guid>();
            foreach (var (channelId, messages) in changes)
            {
                var removedChunks = new List<Guid>();
                var added = new List<(Guid, float[])>();
                foreach (var (id, chunks) in messages)
                {
                    if (_chunksOf.Remove(id, out var old))
                    {
                        replaced.Add(id);
                        removedChunks.AddRange(old.Chunks);
                        foreach (var chunk in old.Chunks)
                        {
                            _messageOf.TryRemove(chunk, out _);
                        }
                    }
                    if (chunks is null)
                    {
                        continue;
                    }
                    _chunksOf[id] = (channelId, [.. chunks.Select(c => c.Id)]);
                    foreach (var c in chunks)
                    {
                        _messageOf[c.Id] = id;
                        added.Add((c.Id, c.Embedding));
                    }
                    text.Add((Group(channelId), id, [.. chunks.Select(c => (c.Id, c.Text))]));
                }
                blocks.Add((Block(channelId), removedChunks, added));
            }
            indexes.Index.Update(blocks);
            indexes.Lexical.Put(text, replaced);
        }
    }

    [LoggerMessage(EventId = 4301, EventName = "memory_index_updated", Level = LogLevel.Debug,
        Message = "Message index applied {Changed} changed messages; now {Messages} messages")]
    private static partial void LogCaughtUp(ILogger logger, int changed, int messages);
}
