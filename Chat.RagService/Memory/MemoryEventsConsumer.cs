using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.RagService.Memory;

/// <summary>Consumer group <c>rag</c> on <c>chat:messages</c>: each event goes to the <see cref="MemoryWriter"/>; one channel's events in stream order.</summary>
public sealed class MemoryEventsConsumer(IServiceScopeFactory scopes, IConnectionMultiplexer redis, IOptions<MemoryOptions> options,
    ILogger<MemoryEventsConsumer> logger) : StreamConsumerService(redis, logger)
{
    public const string GroupName = "rag";

    protected override string Stream => MessageIndexEvents.Stream;
    protected override string Group => GroupName;
    protected override StreamConsumerOptions Options => options.Value.Stream;
    protected override ActivitySource ActivitySource => RagTelemetry.Source;

    protected override string? OrderingKey(StreamMessage message)
    {
        try
        {
            return JsonDocument.Parse(message.Payload).RootElement.TryGetProperty("channelId", out var id) ? id.ToString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    protected override async Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var writer = scope.ServiceProvider.GetRequiredService<MemoryWriter>();
        switch (message.Type)
        {
            case MessageIndexEvents.Written:
                await writer.WrittenAsync(message.PayloadAs<MessagesWritten>(), ct);
                break;
            case MessageIndexEvents.Removed:
                await writer.RemovedAsync(message.PayloadAs<MessagesRemoved>(), ct);
                break;
        }
    }
}
