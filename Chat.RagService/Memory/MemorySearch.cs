using Chat.RagService.Data;
using Chat.RagService.Documents;
using Chat.RagService.Retrieval;
using Chat.RagService.Search;
using ChatAspire.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Chat.RagService.Memory;

/// <summary>
/// One ranked list of messages and document passages, ranked the way documents are (<see cref="HybridRanking"/>): each
/// retriever ranks items (a message, or a document's content) by their best chunk, the lists are fused, the query moves
/// toward the first ranking's best items and the vector side is searched again. The search sees exactly the channels
/// and files the calling service names (Chat.Api decides what its user may read, at the moment of the search).
/// Items whose text holds the whole query (a name, an error code, a ticket id) come first, in their ranked order.
/// </summary>
public sealed class MemorySearch(RagDbContext db, IndexSync documents, MemoryIndex messages, QueryEmbeddings embeddings,
    StackExchange.Redis.IConnectionMultiplexer redis)
{
    private const string MessagePrefix = "m:";

    /// <summary>
    /// The cosine similarity an item needs when it shares no word with the query (MiniLM: unrelated sentences score about
    /// 0–0.25, paraphrases 0.5 and more).
    /// </summary>
    public const double MinMeaningOnlySimilarity = 0.3;

    /// <summary>
    /// The query moved by feedback stays close to the query (cosine ≈ 0.95), so its nearest chunks are searched among the
    /// query's nearest <c>depth × 4</c> rather than in the whole scope again: one scan of a million messages' vectors per
    /// search instead of two (measured in bench/results/memory-bench.md, with its nDCG).
    /// </summary>
    public const int FeedbackShortlist = 4;

    public async Task<MemorySearchResponse> SearchAsync(MemorySearchRequest request, CancellationToken ct)
    {
        using var activity = RagTelemetry.Source.StartActivity("rag.memory.retrieve");
        activity?.SetTag("rag.top_k", request.TopK);
        activity?.SetTag("rag.channels", request.ChannelIds.Count);
        var query = request.Query.Trim();
        var cachedEmbedding = embeddings.LookUp(query);
        await Task.WhenAll(documents.EnsureCurrentAsync(ct), messages.EnsureCurrentAsync(ct));

        var fileIds = request.FileIds ?? [];
        var files = fileIds.Count == 0 ? [] : await db.Documents.AsNoTracking()
            .Where(d => d.Status == DocumentStatus.Ready && fileIds.Contains(d.FileId)).OrderBy(d => d.Id)
            .Select(d => new { d.Id, d.FileId, d.Name, d.Sha256 }).ToListAsync(ct);
        var byContent = files.GroupBy(d => d.Sha256).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var channels = request.ChannelIds.ToHashSet();
        var contents = byContent.Keys.Concat(channels.Select(MemoryIndex.Group)).ToHashSet(StringComparer.Ordinal);
        var shaOfKey = byContent.Keys.ToDictionary(ContentKey.Of, sha => sha);
        var blocks = shaOfKey.Keys.Concat(channels.Select(MemoryIndex.Block)).ToHashSet();
        if (contents.Count == 0)
        {
            return new MemorySearchResponse([]);
        }

        var queryVector = Task.Run(() => embeddings.GetAsync(query, cachedEmbedding, ct), ct);
        var depth = Math.Max(HybridRanking.DocumentChunkDepth, request.TopK * 10);
        var itemDepth = Math.Max(HybridRanking.DocumentDepth, request.TopK * 3);
        var text = documents.Lexical.Search(query, depth, contents);
        var q = await queryVector;
        // Each chunk's item: "m:{message}" for a message, the content hash for a document; chunks this replica cannot place are left out.
        string? ItemOfText(TextHit h) => MemoryIndex.IsGroup(h.Sha256) ? MessageItem(h.ChunkId) : h.Sha256;
        string? ItemOfVector((Guid ChunkId, Guid DocumentId, float Score) h) =>
            shaOfKey.TryGetValue(h.DocumentId, out var sha) ? sha : channels.Contains(h.DocumentId) ? MessageItem(h.ChunkId) : null;
        var textItems = BestPerItem(text.Select(h => (ItemOfText(h), h.ChunkId, h.Score)), itemDepth);
        var firstVector = documents.Index.Search(q, depth, blocks, depth * FeedbackShortlist, out var shortlist);
        var firstVectorItems = BestPerItem(firstVector.Select(h => (ItemOfVector(h), h.ChunkId, h.Score)), itemDepth);
        var first = HybridRanking.Fuse(textItems.Select(i => (i.Item.Item, i.Score)).ToList(),
            firstVectorItems.Select(i => (i.Item.Item, i.Score)).ToList(), HybridRanking.FirstPassVectorWeight);
        // Feedback from the first ranking's best items: a document's chunk most similar to the query, or a message's own
        // best chunk (found in its channel's block without scanning the block).
        var firstChunk = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var (item, _) in firstVectorItems.Concat(textItems))
        {
            firstChunk.TryAdd(item.Item, item.Chunk);
        }
        var feedback = first.Take(HybridRanking.FeedbackDocuments)
            .Select(i => i.Item.StartsWith(MessagePrefix, StringComparison.Ordinal)
                ? ChannelBlockOf(i.Item) is { } block ? documents.Index.ChunkVector(block, firstChunk[i.Item]) : null
                : documents.Index.BestChunk(ContentKey.Of(i.Item), q))
            .OfType<float[]>().ToList();
        var vector = documents.Index.Rescore(HybridRanking.Expand(q, feedback), depth, shortlist);
        var vectorItems = BestPerItem(vector.Select(h => (ItemOfVector(h), h.ChunkId, h.Score)), itemDepth);
        var fused = HybridRanking.Fuse(textItems.Select(i => (i.Item.Item, i.Score)).ToList(), vectorItems.Select(i => (i.Item.Item, i.Score)).ToList());
        var unit = ScoreFusion.UnitRange(fused.Select(f => f.Score));
        // The chunk shown for an item: its best in the vector list, or else in the text list.
        var bestChunk = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var (item, _) in vectorItems.Concat(textItems))
        {
            bestChunk.TryAdd(item.Item, item.Chunk);
        }
        // An item none of the query's words match must at least be close in meaning to the query itself (not only to the
        // feedback): otherwise a search for a rare word would list every message as a weak neighbour.
        var matchedWords = textItems.Select(i => i.Item.Item).ToHashSet(StringComparer.Ordinal);
        var similarity = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (item, score) in BestPerItem(firstVector.Select(h => (ItemOfVector(h), h.ChunkId, h.Score)), depth))
        {
            similarity.TryAdd(item.Item, score);
        }
        var candidates = fused.Where(f => matchedWords.Contains(f.Item) || similarity.GetValueOrDefault(f.Item) >= MinMeaningOnlySimilarity)
            .Take(request.TopK * 3).Select(f => (Item: f.Item, Chunk: bestChunk[f.Item], Score: unit(f.Score))).ToList();

        var messageChunks = candidates.Where(c => c.Item.StartsWith(MessagePrefix, StringComparison.Ordinal)).Select(c => c.Chunk).ToList();
        var documentChunks = candidates.Where(c => !c.Item.StartsWith(MessagePrefix, StringComparison.Ordinal)).Select(c => c.Chunk).ToList();
        var messageRows = messageChunks.Count == 0 ? [] : await (
                from c in db.MemoryChunks.AsNoTracking()
                join m in db.MemoryMessages.AsNoTracking() on c.MessageId equals m.Id
                where messageChunks.Contains(c.Id) && !m.Removed
                select new { ChunkId = c.Id, c.Text, m.Id, m.ChannelId, m.Seq, m.SenderId, m.SenderName, m.CreatedAt, Whole = m.Text })
            .ToDictionaryAsync(r => r.ChunkId, ct);
        var documentRows = documentChunks.Count == 0 ? [] : await db.Chunks.AsNoTracking().Where(c => documentChunks.Contains(c.Id))
            .Select(c => new { c.Id, c.Text, c.Page, c.Heading }).ToDictionaryAsync(r => r.Id, ct);

        var hits = new List<(MemoryHit Hit, string Whole, bool Worded)>();
        foreach (var (item, chunk, score) in candidates)
        {
            if (messageRows.TryGetValue(chunk, out var m) && channels.Contains(m.ChannelId))
            {
                hits.Add((new MemoryHit(MemoryHitKinds.Message, Math.Round(score, 6), m.Text, MessageId: m.Id, ChannelId: m.ChannelId, Seq: m.Seq,
                    SenderId: m.SenderId, SenderName: m.SenderName, CreatedAt: m.CreatedAt), m.Whole, matchedWords.Contains(item)));
            }
            else if (documentRows.TryGetValue(chunk, out var d) && byContent.TryGetValue(item, out var file))
            {
                hits.Add((new MemoryHit(MemoryHitKinds.Document, Math.Round(score, 6), d.Text, FileId: file.FileId, FileName: file.Name,
                    Page: d.Page, Heading: d.Heading), d.Text, matchedWords.Contains(item)));
            }
        }
        // Exact matches first: what holds the whole query, as typed (case aside), keeps its rank among them. A query that
        // something holds exactly (a name, an error code, a ticket id) is a lookup: then only what shares its words follows.
        var exact = query.Length >= 3 ? hits.Where(h => h.Whole.Contains(query, StringComparison.OrdinalIgnoreCase)).ToList() : [];
        var ranked = exact.Count > 0
            ? exact.Concat(hits.Where(h => !exact.Contains(h) && h.Worded))
            : hits;
        var shown = ranked.Take(request.TopK * 2).ToList();
        // A message edited or deleted a moment ago, whose change has not reached the index yet, is left out (its old text
        // must not show): Chat.Api marks it in Redis before it commits the change.
        var marks = shown.Where(h => h.Hit.MessageId is not null).Select(h => h.Hit.MessageId!.Value).ToList();
        var stale = new HashSet<Guid>();
        if (marks.Count > 0)
        {
            var values = await redis.GetDatabase().StringGetAsync([.. marks.Select(id => (StackExchange.Redis.RedisKey)MessageIndexEvents.StaleKey(id))]);
            stale = [.. marks.Where((_, i) => values[i].HasValue)];
        }
        var result = shown.Where(h => h.Hit.MessageId is not { } id || !stale.Contains(id)).Take(request.TopK).Select(h => h.Hit).ToList();
        activity?.SetTag("rag.text_hits", text.Count);
        activity?.SetTag("rag.vector_hits", vector.Count);
        activity?.SetTag("rag.hit_count", result.Count);
        return new MemorySearchResponse(result);
    }

    private string? MessageItem(Guid chunkId) => messages.TryMessageOf(chunkId, out var id) ? $"{MessagePrefix}{id:N}" : null;

    private Guid? ChannelBlockOf(string messageItem) =>
        messages.TryChannelOf(Guid.ParseExact(messageItem.AsSpan(MessagePrefix.Length), "N"), out var channel) ? MemoryIndex.Block(channel) : null;

    /// <summary>Each item once, with its best chunk (<paramref name="hits"/> come best first), as <see cref="HybridRanking.BestChunkPerDocument{T}"/>.</summary>
    private static List<((string Item, Guid Chunk) Item, double Score)> BestPerItem(IEnumerable<(string? Item, Guid Chunk, float Score)> hits, int depth) =>
        [.. hits.Where(h => h.Item is not null).DistinctBy(h => h.Item).Take(depth).Select(h => ((h.Item!, h.Chunk), (double)h.Score))];
}
