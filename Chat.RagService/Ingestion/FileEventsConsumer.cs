using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.RagService.Ingestion;

/// <summary>Consumer group <c>rag</c> on <c>files:events</c>: each event runs the <see cref="IngestionPipeline"/> in its own scope.</summary>
public sealed class FileEventsConsumer(IServiceScopeFactory scopes, IConnectionMultiplexer redis, IOptions<IngestionOptions> options,
    ILogger<FileEventsConsumer> logger) : StreamConsumerService(redis, logger)
{
    public const string GroupName = "rag";

    protected override string Stream => options.Value.StreamName;
    protected override string Group => GroupName;
    protected override StreamConsumerOptions Options => options.Value.Stream;
    protected override ActivitySource ActivitySource => RagTelemetry.Source;

    /// <summary>Events about one file are handled in stream order (an upload and its deletion never race); different files at once.</summary>
    protected override string? OrderingKey(StreamMessage message)
    {
        try
        {
            return JsonDocument.Parse(message.Payload).RootElement.TryGetProperty("fileId", out var id) ? id.ToString() : null;
        }
        catch (JsonException)
        {
            return null; // handling it fails and parks it, on its own
        }
    }

    protected override async Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var pipeline = scope.ServiceProvider.GetRequiredService<IngestionPipeline>();
        switch (message.Type)
        {
            case FileEvents.Uploaded:
                await pipeline.IngestAsync(message.PayloadAs<FileUploaded>(), ct);
                break;
            case FileEvents.Deleted:
                await pipeline.DeleteAsync(message.PayloadAs<FileDeleted>(), ct);
                break;
        }
    }

    protected override async Task OnParkedAsync(StreamMessage message, string reason, CancellationToken ct)
    {
        if (message.Type != FileEvents.Uploaded)
        {
            return;
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IngestionPipeline>().FailAsync(message.PayloadAs<FileUploaded>().FileId, reason, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The entry is parked with its reason either way; the status update is a courtesy.
        }
    }
}
