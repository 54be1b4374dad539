using Chat.RagService.Retrieval;
using Chat.RagService.Data;
using Chat.RagService.Documents;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Chat.RagService.Search;

/// <summary>
/// Keeps this replica's in-memory <see cref="VectorIndex"/> and its <see cref="LexicalIndex"/> equal to the ready documents in Postgres. Every ingest or
/// delete bumps a version number in Redis; a search that sees a new version first reloads the contents whose
/// documents' <c>IndexedAt</c> changed and drops the ones that are gone. The version is also part of result-cache keys.
/// </summary>
public sealed partial class IndexSync(IServiceScopeFactory scopes, IConnectionMultiplexer redis, Microsoft.Extensions.Options.IOptions<Retrieval.EmbeddingOptions> embedding,
    ILogger<IndexSync> logger) : IDisposable
{
    public const string VersionKey = "rag:index:version";

    private readonly Dictionary<string, DateTimeOffset> _loaded = new(StringComparer.Ordinal);
    private readonly ReplicaVersion _version = new(redis, VersionKey);

    public VectorIndex Index { get; } = new(embedding.Value.Dimensions);

    public LexicalIndex Lexical { get; } = new();

    public void Dispose() => Lexical.Dispose();

    /// <summary>Tells every replica that the index changed.</summary>
    public Task<long> BumpAsync() => _version.BumpAsync();

    /// <summary>Brings the index up to date if another replica (or this one) changed it; returns the version now served.</summary>
    public Task<long> EnsureCurrentAsync(CancellationToken ct) => _version.EnsureCurrentAsync(ReconcileAsync, ct);

    private async Task ReconcileAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
        // One entry per indexed content; its stamp changes whenever a document using it is (re)indexed.
        var ready = (await db.Documents.AsNoTracking().Where(d => d.Status == DocumentStatus.Ready)
                .GroupBy(d => d.Sha256).Select(g => new { Sha256 = g.Key, IndexedAt = g.Max(d => d.IndexedAt) }).ToListAsync(ct))
            .ToDictionary(d => d.Sha256, d => d.IndexedAt ?? DateTimeOffset.MinValue);
        var gone = _loaded.Keys.Where(sha => !ready.ContainsKey(sha)).ToList();
        Index.Apply([], gone.Select(ContentKey.Of));
        Lexical.Apply([], gone);
        foreach (var sha in gone)
        {
            _loaded.Remove(sha);
        }
        var changed = ready.Where(d => !_loaded.TryGetValue(d.Key, out var at) || at != d.Value).Select(d => d.Key).ToList();
        foreach (var batch in changed.Chunk(500))
        {
            var rows = await db.Chunks.AsNoTracking().Where(c => batch.Contains(c.Sha256))
                .OrderBy(c => c.Sha256).ThenBy(c => c.Ordinal)
                .Select(c => new { c.Sha256, c.Id, c.Embedding, c.Text, c.Heading }).ToListAsync(ct);
            var byContent = rows.GroupBy(r => r.Sha256).ToList();
            Index.Apply(byContent.Select(g =>
                (ContentKey.Of(g.Key), (IReadOnlyList<Guid>)[.. g.Select(r => r.Id)], (IReadOnlyList<float[]>)[.. g.Select(r => r.Embedding)])), []);
            // Heading and text, as Postgres' search vector has them.
            Lexical.Apply(byContent.Select(g => (g.Key, (IReadOnlyList<(Guid, string)>)[.. g.Select(r => (r.Id, r.Heading is null ? r.Text : $"{r.Heading}\n{r.Text}"))])), []);
            foreach (var sha in batch)
            {
                _loaded[sha] = ready[sha];
            }
        }
        LogReconciled(logger, changed.Count, Index.DocumentCount, Index.Count);
    }

    [LoggerMessage(EventId = 4201, EventName = "vector_index_reconciled", Level = LogLevel.Information,
        Message = "Vector index reloaded {Changed} contents; now {Contents} contents, {Chunks} chunks")]
    private static partial void LogReconciled(ILogger logger, int changed, int contents, int chunks);
}
