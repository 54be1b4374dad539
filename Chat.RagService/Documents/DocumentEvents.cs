using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using StackExchange.Redis;

namespace Chat.RagService.Documents;

/// <summary>Publishes a document's status on <see cref="DocumentStatusChanged.Stream"/> (Chat.Api relays it to the uploader).</summary>
public static class DocumentEvents
{
    public static async Task PublishAsync(IConnectionMultiplexer redis, Document d)
    {
        var dto = DocumentStatusDto.From(d);
        var payload = JsonSerializer.Serialize(new DocumentStatusChanged(d.Id, d.FileId, d.OwnerId, d.Name, dto.Status, d.FailureReason), JsonSerializerOptions.Web);
        await redis.GetDatabase().StreamAddAsync(DocumentStatusChanged.Stream,
            [new("type", nameof(DocumentStatusChanged)), new("payload", payload), new("traceparent", Activity.Current?.Id ?? "")],
            maxLength: 10_000, useApproximateMaxLength: true);
        await StreamBell.RingAsync(redis.GetDatabase(), DocumentStatusChanged.Stream);
    }
}
