using Chat.RagService.Retrieval;
using System.Diagnostics;
using System.Text.Json;
using Chat.RagService.Data;
using Chat.RagService.Documents;
using Chat.RagService.Search;
using ChatAspire.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.RagService.Ingestion;

/// <summary>
/// fetch → extract → chunk → embed → store, with the document's status moving <c>queued → extracting → embedding →
/// ready</c> (or <c>failed</c> with a reason). Idempotent: a file whose hash and model are already indexed is left
/// alone, and the chunks of a document are replaced in one transaction, so a retry after a crash never duplicates.
/// </summary>
public sealed partial class IngestionPipeline(
    RagDbContext db,
    FilesContent files,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<IngestionOptions> options,
    IOptions<EmbeddingOptions> embedding,
    IOptions<ChatAspire.Rules.ArchiveLimits> archiveLimits,
    IndexSync index,
    IConnectionMultiplexer redis,
    RagTelemetry telemetry,
    ILogger<IngestionPipeline> logger)
{
    public async Task IngestAsync(FileUploaded file, CancellationToken ct)
    {
        using var activity = RagTelemetry.Source.StartActivity("rag.ingest");
        activity?.SetTag("file.id", file.FileId);
        activity?.SetTag("file.content_type", file.ContentType);
        if (!TextExtractor.Supported.Contains(file.ContentType))
        {
            telemetry.Document("skipped");
            activity?.SetTag("rag.outcome", "skipped");
            return;
        }
        var model = embedding.Value.ModelId;
        var (document, _) = await DocumentRows.EnsureAsync(db, file, ct); // usually the registrar created it already
        if (document is { Status: DocumentStatus.Ready } && document.Sha256 == file.Sha256 && document.Model == model)
        {
            telemetry.Document("unchanged");
            activity?.SetTag("rag.outcome", "unchanged");
            return;
        }
        document.OwnerId = file.OwnerId;
        document.Name = file.Name;
        document.ContentType = file.ContentType;
        document.Sha256 = file.Sha256;
        activity?.SetTag("document.id", document.Id);

        await SetStatusAsync(document, DocumentStatus.Extracting, null, ct);
        var chunkCount = await IndexedChunksAsync(file.Sha256, model, ct);
        if (chunkCount is null)
        {
            var watch = Stopwatch.StartNew();
            Stream? content;
            try
            {
                content = await files.OpenAsync(file.FileId, ct);
            }
            catch (ExtractionException ex)
            {
                await FailAsync(document, file, ex, activity, ct);
                return;
            }
            await using var _ = content;
            telemetry.Stage("fetch", watch.Elapsed);
            if (content is null)
            {
                // Deleted before we got to it: a FileDeleted event follows (or came first); nothing to index.
                await db.Documents.Where(d => d.Id == document.Id).ExecuteDeleteAsync(ct);
                telemetry.Document("deleted");
                return;
            }
            IReadOnlyList<TextChunk> chunks;
            try
            {
                watch.Restart();
                var sections = TextExtractor.Extract(content, file.ContentType, archiveLimits.Value);
                telemetry.Stage("extract", watch.Elapsed);
                watch.Restart();
                chunks = new TokenChunker(options.Value.ChunkTokens, options.Value.OverlapTokens).Chunk(sections);
                telemetry.Stage("chunk", watch.Elapsed);
            }
            catch (ExtractionException ex)
            {
                await FailAsync(document, file, ex, activity, ct);
                return;
            }

            await SetStatusAsync(document, DocumentStatus.Embedding, null, ct);
            watch.Restart();
            var vectors = await embedder.GenerateAsync(chunks.Select(c => c.Text), cancellationToken: ct);
            telemetry.Stage("embed", watch.Elapsed);

            watch.Restart();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await LockContentAsync(file.Sha256, ct);
            // The content's chunks are replaced as a whole: a retry after a crash, or a model change, never duplicates.
            await db.Chunks.Where(c => c.Sha256 == file.Sha256).ExecuteDeleteAsync(ct);
            db.Chunks.AddRange(chunks.Select((c, i) => new Chunk
            {
                Sha256 = file.Sha256, Ordinal = c.Ordinal, Text = c.Text, Tokens = c.Tokens, Page = c.Page,
                Heading = c.Heading is { Length: > 500 } h ? h[..500] : c.Heading, Embedding = vectors[i].Vector.ToArray(), Model = model,
            }));
            MarkReady(document, model, chunks.Count);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            telemetry.Stage("store", watch.Elapsed);
            telemetry.Chunks(chunks.Count);
            chunkCount = chunks.Count;
        }
        else
        {
            // Identical bytes were already indexed with this model (another upload of the same file): reuse them.
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await LockContentAsync(file.Sha256, ct);
            chunkCount = await IndexedChunksAsync(file.Sha256, model, ct);
            if (chunkCount is null)
            {
                throw new InvalidOperationException("The shared content was removed meanwhile; retrying.");
            }
            MarkReady(document, model, chunkCount.Value);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            activity?.SetTag("rag.reused_content", true);
        }
        db.ChangeTracker.Clear();
        await index.BumpAsync();
        await DocumentEvents.PublishAsync(redis, document);
        telemetry.Document("ready");
        activity?.SetTag("rag.chunk_count", chunkCount);
        LogReady(logger, document.Id, file.FileId, chunkCount.Value);
    }

    public async Task DeleteAsync(FileDeleted file, CancellationToken ct)
    {
        using var activity = RagTelemetry.Source.StartActivity("rag.delete");
        activity?.SetTag("file.id", file.FileId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var documents = await db.Documents.Where(d => d.FileId == file.FileId).ToListAsync(ct);
        foreach (var sha in documents.Select(d => d.Sha256).Distinct())
        {
            await LockContentAsync(sha, ct);
        }
        db.Documents.RemoveRange(documents);
        await db.SaveChangesAsync(ct);
        foreach (var sha in documents.Select(d => d.Sha256).Distinct())
        {
            // Chunks go with the last document that uses them.
            if (!await db.Documents.AnyAsync(d => d.Sha256 == sha, ct))
            {
                await db.Chunks.Where(c => c.Sha256 == sha).ExecuteDeleteAsync(ct);
            }
        }
        await tx.CommitAsync(ct);
        if (documents.Count > 0)
        {
            await index.BumpAsync();
            telemetry.Document("deleted");
        }
    }

    /// <summary>Chunks already stored for this content and model, or null when there are none (or of another model).</summary>
    private async Task FailAsync(Document document, FileUploaded file, ExtractionException ex, Activity? activity, CancellationToken ct)
    {
        await SetStatusAsync(document, DocumentStatus.Failed, ex.Message, ct);
        telemetry.Document("failed");
        activity?.SetStatus(ActivityStatusCode.Error, "extraction failed");
        LogFailed(logger, document.Id, file.FileId, ex.Message);
    }

    private async Task<int?> IndexedChunksAsync(string sha256, string model, CancellationToken ct)
    {
        var models = await db.Chunks.Where(c => c.Sha256 == sha256).GroupBy(c => c.Model).Select(g => new { Model = g.Key, Count = g.Count() }).ToListAsync(ct);
        return models is [{ } only] && only.Model == model ? only.Count : null;
    }

    /// <summary>Serialises storing, reusing and deleting one content's chunks (transaction-scoped advisory lock).</summary>
    private Task LockContentAsync(string sha256, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({sha256}, 4242))", ct);

    private static void MarkReady(Document document, string model, int chunkCount)
    {
        document.Status = DocumentStatus.Ready;
        document.FailureReason = null;
        document.Model = model;
        document.ChunkCount = chunkCount;
        document.IndexedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>Marks a document failed after its event was parked (e.g. Chat.Files kept refusing), so users see why.</summary>
    public async Task FailAsync(Guid fileId, string reason, CancellationToken ct)
    {
        if (await db.Documents.FirstOrDefaultAsync(d => d.FileId == fileId, ct) is { } document)
        {
            await SetStatusAsync(document, DocumentStatus.Failed, reason, ct);
            telemetry.Document("failed");
        }
    }

    private async Task SetStatusAsync(Document document, DocumentStatus status, string? reason, CancellationToken ct)
    {
        document.Status = status;
        document.FailureReason = reason is { Length: > 1000 } ? reason[..1000] : reason;
        await db.SaveChangesAsync(ct);
        await DocumentEvents.PublishAsync(redis, document);
    }

    [LoggerMessage(EventId = 4101, EventName = "document_ready", Level = LogLevel.Information,
        Message = "Document {DocumentId} (file {FileId}) is ready with {ChunkCount} chunks")]
    private static partial void LogReady(ILogger logger, Guid documentId, Guid fileId, int chunkCount);

    [LoggerMessage(EventId = 4102, EventName = "document_failed", Level = LogLevel.Warning,
        Message = "Document {DocumentId} (file {FileId}) failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, Guid documentId, Guid fileId, string reason);
}
