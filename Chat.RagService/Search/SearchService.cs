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
/// caller may read, fused with reciprocal rank fusion (k = 5, equal weights: tuned on the SciFact train split with BM25
/// full-text, see eval/results).
/// Query embeddings and whole results are cached in Redis. A result's key names the documents the caller may search and
/// when each was last indexed, so it is invalidated by exactly what changes that answer (a document of theirs re-indexed
/// or deleted, a document shared with them or unshared) and not by strangers' uploads.
/// </summary>
public sealed class SearchService(
    RagDbContext db,
    IndexSync sync,
    ReadableFiles readable,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<EmbeddingOptions> embedding,
    IConnectionMultiplexer redis,
    IMemoryCache memory,
    RagTelemetry telemetry)
{
    public const int FusionK = 5;
    public const double VectorWeight = 1;
    private const int Depth = 50;
    private const int MaxOtherChunks = 5;
    private static readonly TimeSpan ResultTtl = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan EmbeddingTtl = TimeSpan.FromDays(7);

    public async Task<RagSearchResponse> SearchAsync(RagSearchRequest request, ClaimsPrincipal caller, string bearerToken, CancellationToken ct)
    {
        using var activity = RagTelemetry.Source.StartActivity("rag.retrieve");
        activity?.SetTag("rag.top_k", request.TopK);
        var byDocument = request.Mode is null or RagSearchModes.Documents;
        activity?.SetTag("rag.mode", byDocument ? RagSearchModes.Documents : RagSearchModes.Chunks);
        activity?.SetTag("rag.query_length", request.Query.Length);
        var version = await sync.EnsureCurrentAsync(ct);
        var allowed = await AllowedDocumentsAsync(request, caller, bearerToken, version, ct);
        activity?.SetTag("rag.allowed_documents", allowed.Count);
        if (allowed.Count == 0)
        {
            return new RagSearchResponse([]);
        }

        var scope = string.Join(',', allowed.Select(d => $"{d.Id:N}@{d.IndexedAt?.UtcTicks}"));
        var cacheKey = $"rag:results:{Hash($"{(byDocument ? 'd' : 'c')}\n{request.TopK}\n{request.Query}\n{scope}")}";
        var redisDb = redis.GetDatabase();
        if (await redisDb.StringGetAsync(cacheKey) is { HasValue: true } cached)
        {
            telemetry.Cache("rag_results", hit: true);
            activity?.SetTag("rag.cache_hit", true);
            return JsonSerializer.Deserialize<RagSearchResponse>((string)cached!, JsonSerializerOptions.Web)!;
        }
        telemetry.Cache("rag_results", hit: false);

        // Content may be shared by several documents (same bytes uploaded twice): cite one the caller may read.
        var byContent = allowed.GroupBy(d => d.Sha256).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var query = await QueryEmbeddingAsync(redisDb, request.Query, ct);
        // Documents mode looks deeper: enough chunks that the best topK documents are among them.
        var depth = byDocument ? Math.Max(Depth, request.TopK * 10) : Math.Max(Depth, request.TopK);
        var text = sync.Lexical.Search(request.Query, depth, byContent.Keys);
        var vector = sync.Index.Search(query, depth, byContent.Keys.Select(ContentKey.Of).ToHashSet());
        var fused = RankFusion.Fuse(FusionK, (text.Select(h => h.ChunkId).ToList(), 1.0), (vector.Select(h => h.ChunkId).ToList(), VectorWeight));
        // Which content each candidate belongs to is known from the two retrievers; a chunk's content is its document.
        var shaOfKey = byContent.Keys.ToDictionary(ContentKey.Of, sha => sha);
        var contentOf = text.Select(h => (h.ChunkId, Sha256: h.Sha256)).Concat(vector.Select(h => (h.ChunkId, Sha256: shaOfKey[h.DocumentId])))
            .DistinctBy(h => h.ChunkId).ToDictionary(h => h.ChunkId, h => h.Sha256);
        var picked = byDocument
            ? fused.Where(f => contentOf.ContainsKey(f.Item)).GroupBy(f => contentOf[f.Item]).Take(request.TopK)
                .Select(g => g.Take(1 + MaxOtherChunks).ToList()).ToList()
            : [.. fused.Take(request.TopK).Select(f => new List<(Guid Item, double Score)> { f })];
        var ids = picked.SelectMany(p => p).Select(f => f.Item).ToList();
        var rows = await db.Chunks.AsNoTracking().Where(c => ids.Contains(c.Id))
            .Select(c => new { c.Id, c.Sha256, c.Text, c.Page, c.Heading }).ToDictionaryAsync(r => r.Id, ct);
        var hits = picked.Where(p => rows.ContainsKey(p[0].Item) && byContent.ContainsKey(rows[p[0].Item].Sha256)).Select(p =>
        {
            var r = rows[p[0].Item];
            var d = byContent[r.Sha256];
            IReadOnlyList<RagChunk>? others = byDocument
                ? [.. p.Skip(1).Where(o => rows.ContainsKey(o.Item)).Select(o => new RagChunk(o.Item, rows[o.Item].Text, Math.Round(o.Score, 6), rows[o.Item].Page, rows[o.Item].Heading))]
                : null;
            return new RagHit(r.Id, d.Id, d.FileId, d.Name, r.Text, Math.Round(p[0].Score, 6), r.Page, r.Heading, others);
        }).ToList();
        activity?.SetTag("rag.text_hits", text.Count);
        activity?.SetTag("rag.vector_hits", vector.Count);
        activity?.SetTag("rag.chunk_count", hits.Count);
        activity?.SetTag("rag.top_score", hits.Count > 0 ? hits[0].Score : 0);
        activity?.SetTag("rag.top_vector_similarity", vector.Count > 0 ? vector[0].Score : 0);

        var response = new RagSearchResponse(hits);
        await redisDb.StringSetAsync(cacheKey, JsonSerializer.Serialize(response, JsonSerializerOptions.Web), ResultTtl);
        return response;
    }

    private sealed record AllowedDocument(Guid Id, Guid FileId, string Name, string Sha256, DateTimeOffset? IndexedAt);

    /// <summary>
    /// Ready documents the caller may read: their own uploads plus files Chat.Api says were shared in a readable channel;
    /// narrowed to <c>ChannelId</c> (that channel's files only) and <c>FileIds</c> when given. A service (the AI worker)
    /// must name a channel and sees exactly that channel's files.
    /// </summary>
    /// <remarks>
    /// Kept in this replica's memory for a minute under everything it depends on: the caller, the request's narrowing, the
    /// shared files and the index version (any ingest or delete), so a repeated search costs no database query.
    /// </remarks>
    private async Task<IReadOnlyList<AllowedDocument>> AllowedDocumentsAsync(RagSearchRequest request, ClaimsPrincipal caller, string bearerToken,
        long version, CancellationToken ct)
    {
        var isService = caller.IsService();
        var me = caller.UserId();
        var shared = await readable.SharedAsync(request.ChannelId, caller, bearerToken, ct)
            ?? throw new SearchForbiddenException("You cannot read that channel.");
        var key = $"rag:allowed:{me:N}:{isService}:{request.ChannelId}:{Hash(string.Join(',', (request.FileIds ?? []).Order()))}:{Hash(string.Join(',', shared.Order()))}:{version}";
        if (memory.TryGetValue(key, out IReadOnlyList<AllowedDocument>? known) && known is not null)
        {
            return known;
        }
        var documents = db.Documents.AsNoTracking().Where(d => d.Status == DocumentStatus.Ready);
        documents = request.ChannelId is not null || isService
            ? documents.Where(d => shared.Contains(d.FileId))
            : documents.Where(d => d.OwnerId == me || shared.Contains(d.FileId));
        if (request.FileIds is { Count: > 0 } fileIds)
        {
            documents = documents.Where(d => fileIds.Contains(d.FileId));
        }
        var allowed = await documents.OrderBy(d => d.Id).Select(d => new AllowedDocument(d.Id, d.FileId, d.Name, d.Sha256, d.IndexedAt)).ToListAsync(ct);
        memory.Set(key, (IReadOnlyList<AllowedDocument>)allowed, new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1),
            Size = allowed.Count + 1,
        });
        return allowed;
    }

    private async Task<float[]> QueryEmbeddingAsync(IDatabase redisDb, string query, CancellationToken ct)
    {
        var key = $"rag:query-embedding:{Hash($"{embedding.Value.ModelId}\n{query}")}";
        if (await redisDb.StringGetAsync(key) is { HasValue: true } bytes)
        {
            telemetry.Cache("rag_query_embedding", hit: true);
            return MemoryMarshal.Cast<byte, float>((byte[])bytes!).ToArray();
        }
        telemetry.Cache("rag_query_embedding", hit: false);
        var vector = (await embedder.GenerateAsync([query], cancellationToken: ct))[0].Vector.ToArray();
        await redisDb.StringSetAsync(key, MemoryMarshal.AsBytes(vector.AsSpan()).ToArray(), EmbeddingTtl);
        return vector;
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
