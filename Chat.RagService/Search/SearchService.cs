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
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.RagService.Search;

/// <summary>The caller may not search where they asked (a channel they cannot read).</summary>
public sealed class SearchForbiddenException(string detail) : Exception(detail);

/// <summary>
/// Hybrid retrieval: Postgres full-text and exact vector search over the documents the caller may read, fused with
/// reciprocal rank fusion (k = 5, equal weights: tuned on the SciFact train split with BM25 full-text, see eval/results).
/// Query embeddings and whole results are cached in Redis; result keys carry the index version, so any ingest or
/// delete invalidates them.
/// </summary>
public sealed class SearchService(
    RagDbContext db,
    IndexSync sync,
    ReadableFiles readable,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<EmbeddingOptions> embedding,
    IConnectionMultiplexer redis,
    RagTelemetry telemetry)
{
    public const int FusionK = 5;
    public const double VectorWeight = 1;
    private const int Depth = 50;
    private static readonly TimeSpan ResultTtl = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan EmbeddingTtl = TimeSpan.FromDays(7);

    public async Task<RagSearchResponse> SearchAsync(RagSearchRequest request, ClaimsPrincipal caller, string bearerToken, CancellationToken ct)
    {
        using var activity = RagTelemetry.Source.StartActivity("rag.retrieve");
        activity?.SetTag("rag.top_k", request.TopK);
        activity?.SetTag("rag.query_length", request.Query.Length);
        var version = await sync.EnsureCurrentAsync(ct);
        var allowed = await AllowedDocumentsAsync(request, caller, bearerToken, ct);
        activity?.SetTag("rag.allowed_documents", allowed.Count);
        if (allowed.Count == 0)
        {
            return new RagSearchResponse([]);
        }

        var cacheKey = $"rag:results:{version}:{Hash($"{request.TopK}\n{request.Query}\n{string.Join(',', allowed.Select(d => d.Id).Order())}")}";
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
        var text = await FullTextSearch.SearchAsync(db, request.Query, Depth, [.. byContent.Keys], ct);
        var vector = sync.Index.Search(query, Depth, byContent.Keys.Select(ContentKey.Of).ToHashSet());
        var fused = RankFusion.Fuse(FusionK, (text.Select(h => h.ChunkId).ToList(), 1.0), (vector.Select(h => h.ChunkId).ToList(), VectorWeight))
            .Take(request.TopK).ToList();
        var ids = fused.Select(f => f.Item).ToList();
        var rows = await db.Chunks.AsNoTracking().Where(c => ids.Contains(c.Id))
            .Select(c => new { c.Id, c.Sha256, c.Text, c.Page, c.Heading }).ToDictionaryAsync(r => r.Id, ct);
        var hits = fused.Where(f => rows.ContainsKey(f.Item) && byContent.ContainsKey(rows[f.Item].Sha256)).Select(f =>
        {
            var r = rows[f.Item];
            var d = byContent[r.Sha256];
            return new RagHit(r.Id, d.Id, d.FileId, d.Name, r.Text, Math.Round(f.Score, 6), r.Page, r.Heading);
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

    private sealed record AllowedDocument(Guid Id, Guid FileId, string Name, string Sha256);

    /// <summary>
    /// Ready documents the caller may read: their own uploads plus files Chat.Api says were shared in a readable channel;
    /// narrowed to <c>ChannelId</c> (that channel's files only) and <c>FileIds</c> when given. A service (the AI worker)
    /// must name a channel and sees exactly that channel's files.
    /// </summary>
    private async Task<IReadOnlyList<AllowedDocument>> AllowedDocumentsAsync(RagSearchRequest request, ClaimsPrincipal caller, string bearerToken, CancellationToken ct)
    {
        var isService = caller.IsService();
        var me = caller.UserId();
        var shared = await readable.SharedAsync(request.ChannelId, bearerToken, ct)
            ?? throw new SearchForbiddenException("You cannot read that channel.");
        var documents = db.Documents.AsNoTracking().Where(d => d.Status == DocumentStatus.Ready);
        documents = request.ChannelId is not null || isService
            ? documents.Where(d => shared.Contains(d.FileId))
            : documents.Where(d => d.OwnerId == me || shared.Contains(d.FileId));
        if (request.FileIds is { Count: > 0 } fileIds)
        {
            documents = documents.Where(d => fileIds.Contains(d.FileId));
        }
        return await documents.OrderBy(d => d.Id).Select(d => new AllowedDocument(d.Id, d.FileId, d.Name, d.Sha256)).ToListAsync(ct);
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
