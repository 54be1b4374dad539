using ChatAspire.ServiceDefaults.Auth;

namespace Chat.RagService.Memory;

internal static class MemoryRegistration
{
    /// <summary>The team memory: messages from <c>chat:messages</c>, stored with their embeddings, indexed beside documents, searched together.</summary>
    public static IHostApplicationBuilder AddMemory(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<MemoryIndex>();
        builder.Services.AddScoped<MemoryWriter>();
        builder.Services.AddScoped<MemorySearch>();
        builder.AddServiceClient<ReadableScope>(ChatAspire.Contracts.ResourceNames.Api, ChatAspire.Contracts.ResourceNames.Rag);
        builder.Services.AddHostedService<MemoryEventsConsumer>();
        return builder;
    }
}
