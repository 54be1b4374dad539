using System.Diagnostics;
using Chat.RagService.Data;
using Chat.RagService.Documents;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.RagService.Ingestion;

/// <summary>
/// Consumer group <c>rag-registry</c> on <c>files:events</c>: records every accepted upload as a <c>queued</c> document
/// at once (milliseconds after Chat.Files accepted it), however long the ingestion queue is, so its uploader can follow
/// it from the start. Ingestion (<see cref="FileEventsConsumer"/>) picks the row up; whichever of the two sees a file
/// first creates it. A delete removes a document that is still only queued; ingestion removes the rest.
/// </summary>
public sealed class DocumentRegistrar(IServiceScopeFactory scopes, IConnectionMultiplexer redis, IOptions<IngestionOptions> options,
    ILogger<DocumentRegistrar> logger) : StreamConsumerService(redis, logger)
{
    public const string GroupName = "rag-registry";
    private static readonly StreamConsumerOptions Settings = new() { BatchSize = 100, MaxAttempts = 3, ClaimIdle = TimeSpan.FromSeconds(30) };

    protected override string Stream => options.Value.StreamName;
    protected override string Group => GroupName;
    protected override StreamConsumerOptions Options => Settings;
    protected override ActivitySource ActivitySource => RagTelemetry.Source;

    protected override async Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RagDbContext>();
        switch (message.Type)
        {
            case FileEvents.Uploaded when message.PayloadAs<FileUploaded>() is var file && TextExtractor.Supported.Contains(file.ContentType):
                var (document, created) = await DocumentRows.EnsureAsync(db, file, ct);
                if (!created)
                {
                    return; // ingestion got there first
                }
                await DocumentEvents.PublishAsync(scope.ServiceProvider.GetRequiredService<IConnectionMultiplexer>(), document);
                break;
            case FileEvents.Deleted:
                var deleted = message.PayloadAs<FileDeleted>();
                await db.Documents.Where(d => d.FileId == deleted.FileId && d.Status == DocumentStatus.Queued).ExecuteDeleteAsync(ct);
                break;
        }
    }
}
