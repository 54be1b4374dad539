using Chat.Api.Data;
using Chat.Api.Messages;
using ChatAspire.Messaging;

namespace Chat.Api.Ai;

internal static class AiRegistration
{
    /// <summary>Assistant jobs (outbox to ai:jobs), their replies, streamed deltas and document status relayed to clients.</summary>
    public static IHostApplicationBuilder AddAssistant(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AiOptions>().BindConfiguration(AiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<AiRequests>();
        builder.Services.AddScoped<IAssistantTrigger>(sp => sp.GetRequiredService<AiRequests>());
        builder.Services.AddScoped<AiReplies>();
        builder.Services.AddScoped<AiStreams>();
        builder.Services.AddHostedService<AiDeltaRelay>();
        builder.Services.AddHostedService<DocumentStatusRelay>();
        builder.Services.AddOutboxPublisher<ChatDbContext>(ChatAspire.Contracts.AiJobs.Stream, nameof(ChatAspire.Contracts.AiJobRequested));
        return builder;
    }
}
