using Chat.RagService.Access;
using Chat.RagService.Retrieval;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Chat.RagService.Data;
using Chat.RagService.Documents;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.RagService.Search;

/// <summary>The caller may not search where they asked (a channel they cannot read).</summary>
public sealed class SearchForbiddenException(string detail) : Exception(detail);

/// <summary>
/// Hybrid retrieval: BM25 over a Lucene index (<see cref="LexicalIndex"/>) and exact vector search over the documents the
/// caller may read, fused by a convex combination of each list's standard scores (<see cref="ScoreFusion"/>),
/// with one round of pseudo-relevance feedback on the vector side; ranked exactly as the evaluation ranks them
/// (<see cref="HybridRanking"/>, tuned on the SciFact train split: see eval/results).
/// Query embeddings and whole results are cached in Redis. A result's key names the documents the caller may search and
/// when each was last indexed, so it is invalidated by exactly what changes that answer (a document of theirs re-indexed
/// or deleted, a document shared with them or unshared) and not by strangers' uploads.
/// </summary>
public sealed class SearchService(
    RagDbContext db,
    IndexSync sync,
    ReadableFiles readable,
    QueryEmbeddings embeddings,
    IConnectionMultiplexer redis,
    IMemoryCache memory,
    RagTelemetry telemetry)
{
    private const int Depth = 50;
    private const int MaxOtherChunks = 5;
    private static readonly TimeSpan ResultTtl = TimeSpan.FromMinutes(10);

    public async Task<RagSearchResponse> SearchAsync(RagSearchRequest request, ClaimsPrincipal caller, string bearerToken, CancellationToken ct)
    {
        using var activity = RagTelemetry.Source.StartActivity("rag.retrieve");
        activity?.SetTag("rag.top_k", request.TopK);
        var byDocument = request.Mode is null or RagSearchModes.Documents;
        activity?.SetTag("rag.mode", byDocument ? RagSearchModes.Documents : RagSearchModes.Chunks);
        activity?.SetTag("rag.query_length", request.Query.Length);
        // These start at once: their Redis reads go out together. The query's embedding is looked up before it is known to
        // be needed (a cached result needs none): one read more on a hit, one round trip less on a miss.
        var redisDb = redis.GetDatabase();
        var current = sync.EnsureCurrentAsync(ct);
        var shared = readable.SharedAsync(request.ChannelId, caller, bearerToken, ct);
        var cachedEmbedding = embeddings.LookUp(request.Query);
        await Task.WhenAll(current, shared);
        var scope = await ScopeAsync(request, caller, shared.Result, current.Result, ct);
        activity?.SetTag("rag.allowed_documents", scope.Count);
        if (scope.Count == 0)
        {
            return new RagSearchResponse([]);
        }

        var cacheKey = $"rag:results:{Hash($"{(byDocument ? 'd' : 'c')}\n{request.TopK}\n{request.Query}\n{scope.Stamp}")}";
        if (await redisDb.StringGetAsync(cacheKey) is { HasValue: true } cached)
        {
            telemetry.Cache("rag_results", hit: true);
            activity?.SetTag("rag.cache_hit", true);
            return JsonSerializer.Deserialize<RagSearchResponse>((string)cached!, JsonSerializerOptions.Web)!;
        }
        telemetry.Cache("rag_results", hit: false);

        // The query is embedded on another thread while this one ranks its terms with Lucene.
        var queryEmbedding = Task.Run(() => embeddings.GetAsync(request.Query, cachedEmbedding, ct), ct);
        // Documents mode looks deeper: enough chunks that the best topK documents are among them.
        var depth = byDocument ? Math.Max(HybridRanking.DocumentChunkDepth, request.TopK * 10) : Math.Max(Depth, request.TopK);
        var text = sync.Lexical.Search(request.Query, depth, scope.Contents);
        var queryVector = await queryEmbedding;
        var firstVector = sync.Index.Search(queryVector, depth, scope.ContentKeys);
        // Documents by their best chunk in each list, as the evaluation ranks them; then the query moves toward the first
        // ranking's top documents and the vector side is searched again (HybridRanking).
        var documentDepth = Math.Max(HybridRanking.DocumentDepth, request.TopK);
        var textDocuments = HybridRanking.BestChunkPerDocument(text.Select(h => (h.Sha256, h.Score)), documentDepth);
        var first = HybridRanking.Fuse(textDocuments,
            HybridRanking.BestChunkPerDocument(firstVector.Select(h => (scope.ShaOfKey[h.DocumentId], h.Score)), documentDepth),
            HybridRanking.FirstPassVectorWeight);
        var vector = sync.Index.Search(HybridRanking.Expand(queryVector, first.Select(d => ContentKey.Of(d.Item)), sync.Index), depth, scope.ContentKeys);
        List<List<(Guid Item, double Score)>> picked;
        if (byDocument)
        {
            // Which content each candidate belongs to is known from the two retrievers; a chunk's content is its document.
            var contentOf = text.Select(h => (h.ChunkId, Sha256: h.Sha256)).Concat(vector.Select(h => (h.ChunkId, Sha256: scope.ShaOfKey[h.DocumentId])))
                .DistinctBy(h => h.ChunkId).ToDictionary(h => h.ChunkId, h => h.Sha256);
            var vectorDocuments = HybridRanking.BestChunkPerDocument(vector.Select(h => (scope.ShaOfKey[h.DocumentId], h.Score)), documentDepth);
            var documents = HybridRanking.Fuse(textDocuments, vectorDocuments);
            // Its chunks are scored on the same scales, so none scores above its document; the best comes first. Callers
            // see scores mapped to 0–1 over the documents.
            var textScale = ScoreFusion.Standardiser(textDocuments.Select(d => d.Score));
            var vectorScale = ScoreFusion.Standardiser(vectorDocuments.Select(d => d.Score));
            var unit = ScoreFusion.UnitRange(documents.Select(d => d.Score));
            var textScore = text.ToDictionary(h => h.ChunkId, h => (double)h.Score);
            var vectorScore = vector.ToDictionary(h => h.ChunkId, h => (double)h.Score);
            double ChunkScore(Guid id) => unit((1 - HybridRanking.VectorWeight) * textScale(textScore.GetValueOrDefault(id, double.NegativeInfinity))
                + HybridRanking.VectorWeight * vectorScale(vectorScore.GetValueOrDefault(id, double.NegativeInfinity)));
            var chunksOf = contentOf.Keys.GroupBy(id => contentOf[id], StringComparer.Ordinal).ToDictionary(g => g.Key,
                g => g.Select(id => (Item: id, Score: ChunkScore(id))).OrderByDescending(c => c.Score).Take(1 + MaxOtherChunks).ToList(), StringComparer.Ordinal);
            picked = [.. documents.Take(request.TopK).Select(d => (List<(Guid Item, double Score)>)[(chunksOf[d.Item][0].Item, unit(d.Score)), .. chunksOf[d.Item].Skip(1)])];
        }
        else
        {
            var chunks = HybridRanking.Fuse(
                [.. text.Select(h => (h.ChunkId, (double)h.Score))],
                [.. vector.Select(h => (h.ChunkId, (double)h.Score))]);
            var unit = ScoreFusion.UnitRange(chunks.Select(c => c.Score));
            picked = [.. chunks.Take(request.TopK).Select(c => new List<(Guid Item, double Score)> { (c.Item, unit(c.Score)) })];
        }
        var ids = picked.SelectMany(p => p).Select(f => f.Item).ToList();
        var rows = await db.Chunks.AsNoTracking().Where(c => ids.Contains(c.Id))
            .Select(c => new { c.Id, c.Sha256, c.Text, c.Page, c.Heading }).ToDictionaryAsync(r => r.Id, ct);
        var hits = picked.Where(p => rows.ContainsKey(p[0].Item) && scope.ByContent.ContainsKey(rows[p[0].Item].Sha256)).Select(p =>
        {
            var r = rows[p[0].Item];
            var d = scope.ByContent[r.Sha256];
            IReadOnlyList<RagChunk>? others = byDocument
                ? [.. p.Skip(1).Where(o => rows.ContainsKey(o.Item)).Select(o => new RagChunk(o.Item, rows[o.Item].Text, Math.Round(o.Score, 6), rows[o.Item].Page, rows[o.Item].Heading))]
                : null;
            return new RagHit(r.Id, d.Id, d.FileId, d.Name, r.Text, Math.Round(p[0].Score, 6), r.Page, r.Heading, others);
        }).ToList();
        activity?.SetTag("rag.text_hits", text.Count);
        activity?.SetTag("rag.vector_hits", vector.Count);
        activity?.SetTag("rag.chunk_count", hits.Count);
        activity?.SetTag("rag.top_score", hits.Count > 0 ? hits[0].Score : 0);
        activity?.SetTag("rag.top_vector_similarity", firstVector.Count > 0 ? firstVector[0].Score : 0);

        var response = new RagSearchResponse(hits);
        // Fire and forget: the caller does not wait for the cache (a lost write is a miss next time).
        await redisDb.StringSetAsync(cacheKey, JsonSerializer.Serialize(response, JsonSerializerOptions.Web), ResultTtl, flags: CommandFlags.FireAndForget);
        return response;
    }

    private sealed record AllowedDocument(Guid Id, Guid FileId, string Name, string Sha256, DateTimeOffset? IndexedAt);

    /// <summary>
    /// What one caller may search, with everything a search derives from it computed once: the readable document per
    /// content (content may be shared by several documents, when the same bytes were uploaded twice: cite one the caller
    /// may read), the content keys of the vector index, and a stamp naming every document and when it was last indexed,
    /// which keys cached results.
    /// </summary>
    private sealed class SearchScope
    {
        public SearchScope(IReadOnlyList<AllowedDocument> documents)
        {
            Count = documents.Count;
            Stamp = Hash(string.Join(',', documents.Select(d => $"{d.Id:N}@{d.IndexedAt?.UtcTicks}")));
            ByContent = documents.GroupBy(d => d.Sha256).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            Contents = ByContent.Keys.ToHashSet(StringComparer.Ordinal);
            ShaOfKey = Contents.ToDictionary(ContentKey.Of, sha => sha);
            ContentKeys = ShaOfKey.Keys.ToHashSet();
        }

        public int Count { get; }
        public string Stamp { get; }
        public Dictionary<string, AllowedDocument> ByContent { get; }
        public HashSet<string> Contents { get; }
        public Dictionary<Guid, string> ShaOfKey { get; }
        public HashSet<Guid> ContentKeys { get; }
    }

    /// <summary>
    /// Ready documents the caller may read: their own uploads plus files Chat.Api says were shared in a readable channel;
    /// narrowed to <c>ChannelId</c> (that channel's files only) and <c>FileIds</c> when given. A service (the AI worker)
    /// must name a channel and sees exactly that channel's files.
    /// </summary>
    /// <remarks>
    /// Kept in this replica's memory under everything it depends on: the caller, the request's narrowing, the shared files
    /// and the index version (any ingest or delete), so a repeated search costs no database query and no work
    /// proportional to the caller's documents. A key that changes is never read again, so the entry lives while it is
    /// used: a minute after its last use, ten at most. (With a fixed minute, a caller with 10k documents paid ~60 ms for
    /// the reload in one search a minute, measured.)
    /// </remarks>
    private async Task<SearchScope> ScopeAsync(RagSearchRequest request, ClaimsPrincipal caller, SharedFiles? readable,
        long version, CancellationToken ct)
    {
        var isService = caller.IsService();
        var me = caller.UserId();
        var shared = readable ?? throw new SearchForbiddenException("You cannot read that channel.");
        var key = $"rag:allowed:{me:N}:{isService}:{request.ChannelId}:{Hash(string.Join(',', (request.FileIds ?? []).Order()))}:{shared.Stamp}:{version}";
        if (memory.TryGetValue(key, out SearchScope? known) && known is not null)
        {
            return known;
        }
        var documents = db.Documents.AsNoTracking().Where(d => d.Status == DocumentStatus.Ready);
        documents = request.ChannelId is not null || isService
            ? documents.Where(d => shared.Files.Contains(d.FileId))
            : documents.Where(d => d.OwnerId == me || shared.Files.Contains(d.FileId));
        if (request.FileIds is { Count: > 0 } fileIds)
        {
            documents = documents.Where(d => fileIds.Contains(d.FileId));
        }
        var scope = new SearchScope(await documents.OrderBy(d => d.Id)
            .Select(d => new AllowedDocument(d.Id, d.FileId, d.Name, d.Sha256, d.IndexedAt)).ToListAsync(ct));
        memory.Set(key, scope, new MemoryCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(1),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10),
            Size = scope.Count + 1,
        });
        return scope;
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
