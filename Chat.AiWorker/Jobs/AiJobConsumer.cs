using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Contracts;
using ChatAspire.Messaging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.AiWorker.Jobs;

/// <summary>
/// Consumer group <c>aiworker</c> on <c>ai:jobs</c>. At-least-once: a job whose worker died mid-reply is taken over
/// after the claim timeout and answered again; Chat.Api keeps only one reply per job id. After the last failed attempt
/// the job is parked (with its reason) and the asker gets a final message.
/// </summary>
public sealed class AiJobConsumer(IServiceScopeFactory scopes, IConnectionMultiplexer redis, IOptions<WorkerOptions> options,
    ILogger<AiJobConsumer> logger) : StreamConsumerService(redis, logger)
{
    protected override string Stream => options.Value.StreamName;
    protected override string Group => options.Value.Group;
    protected override StreamConsumerOptions Options => options.Value.Stream;
    protected override ActivitySource ActivitySource => AiTelemetry.Source;

    protected override async Task HandleAsync(StreamMessage message, Activity? activity, CancellationToken ct)
    {
        if (message.Type != nameof(AiJobRequested))
        {
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ReplyGenerator>().AnswerAsync(message.PayloadAs<AiJobRequested>(), ct);
    }

    protected override async Task OnParkedAsync(StreamMessage message, string reason, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ReplyGenerator>().GiveUpAsync(message.PayloadAs<AiJobRequested>(), reason);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Parked either way; Chat.Api may be down too. The parked entry keeps the job.
        }
    }
}
