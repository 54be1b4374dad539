using System.Diagnostics;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.RagService.Memory;

/// <summary>Consumer group <c>rag</c> on <c>chat:messages</c>: each event goes to the <see cref="MemoryWriter"/>.</summary>
public sealed class MemoryEventsConsumer(IServiceScopeFactory scopes, IConnectionMultiplexer redis, IOptions<MemoryOptions> options,
    ILogger<MemoryEventsConsumer> logger) : StreamConsumerService(redis, logger)
{
    public const string GroupName = "rag";

    protected override string Stream => MessageIndexEvents.Stream;
    protected override string Group => GroupName;
    protected override StreamConsumerOptions Options => options.Value.Stream;
    protected override ActivitySource ActivitySource => RagTelemetry.Source;

    /// <summary>
    /// Any order: the writer keeps a message's newest version and its deletion whatever order events come in. Handling
    /// keeps to <see cref="MemoryOptions.MaxCores"/>: after each event it waits in proportion to the CPU it took, so a
    /// flood of messages (a busy hour, an import) is indexed a little later instead of taking the cores from the chat.
    /// </summary>
    protected override async Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await using (var scope = scopes.CreateAsyncScope())
        {
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
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var pause = used * (Options.Concurrency / options.Value.MaxCores - 1);
        if (pause > TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(pause < MaxPause ? pause : MaxPause, ct);
        }
    }

    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(5);
}
