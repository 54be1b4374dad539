using Chat.RagService.Retrieval;
using Chat.RagService.Data;
using Chat.RagService.Documents;
using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Chat.RagService.Ingestion;

/// <summary>At start-up, re-ingests documents whose chunks were embedded with a model other than the configured one.</summary>
public sealed partial class ReembedOnModelChange(IServiceScopeFactory scopes, IOptions<EmbeddingOptions> embedding, ILogger<ReembedOnModelChange> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var model = embedding.Value.ModelId;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
            List<Document> stale;
            using (DatabaseQueryObserver.Upkeep()) // a start-up scan on a cold database, not a query to tune
            {
                stale = await db.Documents.AsNoTracking().Where(d => d.Status == DocumentStatus.Ready && d.Model != model).ToListAsync(stoppingToken);
            }
            if (stale.Count > 0)
            {
                LogReembedding(logger, stale.Count, model);
            }
            foreach (var d in stale)
            {
                await using var docScope = scopes.CreateAsyncScope();
                await docScope.ServiceProvider.GetRequiredService<IngestionPipeline>()
                    .IngestAsync(new FileUploaded(d.FileId, d.OwnerId, d.Name, d.ContentType, 0, d.Sha256), stoppingToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReembedFailed(logger, ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(EventId = 4103, EventName = "reembedding", Level = LogLevel.Information, Message = "Re-embedding {Count} documents with {Model}")]
    private static partial void LogReembedding(ILogger logger, int count, string model);

    [LoggerMessage(EventId = 4104, EventName = "reembed_failed", Level = LogLevel.Warning, Message = "Re-embedding stopped ({Error}: {Detail}); it resumes at the next start")]
    private static partial void LogReembedFailed(ILogger logger, string error, string detail);
}
