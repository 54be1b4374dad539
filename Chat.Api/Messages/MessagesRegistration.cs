using ChatAspire.Messaging;
namespace Chat.Api.Messages;

internal static class MessagesRegistration
{
    /// <summary>Sending (the one write path, group commit), history, search, mentions, reactions and the send limit.</summary>
    public static IHostApplicationBuilder AddMessages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagesOptions>().BindConfiguration(MessagesOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SendRateLimiter>();
        builder.Services.AddScoped<MessageService>();
        builder.Services.AddScoped<Mentions>();
        builder.Services.AddSingleton<MessageIndexFeed>();
        builder.Services.AddOutboxPublisher<Data.ChatDbContext>(ChatAspire.Contracts.MessageIndexEvents.Stream, ChatAspire.Contracts.MessageIndexEvents.Types);
        builder.Services.AddHostedService<MemoryBackfill>();
        builder.Services.AddSingleton<MessageWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MessageWriter>());
        return builder;
    }
}
