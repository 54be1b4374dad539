using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using StackExchange.Redis;

namespace Chat.Api.Ai;

/// <summary>
/// Tells uploaders how the ingestion of their documents goes (<c>rag:events</c>, consumer group <c>api</c>: one
/// replica handles each event and the backplane reaches the user wherever they are connected).
/// </summary>
public sealed class DocumentStatusRelay(IConnectionMultiplexer redis, IAssistantEvents events, ILogger<DocumentStatusRelay> logger)
    : StreamConsumerService(redis, logger)
{
    private static readonly StreamConsumerOptions Settings = new() { BatchSize = 20, MaxAttempts = 2, ClaimIdle = TimeSpan.FromSeconds(30) };

    protected override string Stream => DocumentStatusChanged.Stream;
    protected override string Group => "api";
    protected override StreamConsumerOptions Options => Settings;
    protected override ActivitySource ActivitySource => ChatTelemetry.Source;

    protected override async Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct)
    {
        var status = message.PayloadAs<DocumentStatusChanged>();
        await events.DocumentStatusAsync(status);
    }
}
