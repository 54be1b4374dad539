using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OllamaSharp;
using OpenAI;

namespace Chat.AiWorker.Providers;

/// <summary>Builds the configured <see cref="IChatClient"/>: provider → resilience → OpenTelemetry (GenAI conventions).</summary>
public static class ChatClientFactory
{
    public static IChatClient Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ProviderOptions>>().Value;
        return Create(options, services.GetRequiredService<ProviderHealth>(), services);
    }

    public static IChatClient Create(ProviderOptions options, ProviderHealth health, IServiceProvider? services = null)
    {
        IChatClient inner = options.Provider switch
        {
            ProviderOptions.Ollama => new OllamaApiClient(
                new HttpClient { BaseAddress = options.Endpoint ?? new Uri("http://localhost:11434"), Timeout = Timeout.InfiniteTimeSpan }, options.ModelName),
            ProviderOptions.OpenAi => new OpenAIClient(new ApiKeyCredential(options.ApiKey ?? "not-set"), new OpenAIClientOptions
            {
                Endpoint = options.Endpoint ?? new Uri("https://api.openai.com/v1"),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // retries are ours, before the first token only
                NetworkTimeout = Timeout.InfiniteTimeSpan,
            }).GetChatClient(options.ModelName).AsIChatClient(),
            _ => new ExtractiveChatClient(),
        };
        return inner.AsBuilder()
            .Use(client => new ResilientChatClient(client, options, health))
            .UseOpenTelemetry(sourceName: AiTelemetry.Name + ".GenAI", configure: c => c.EnableSensitiveData = options.RecordContent)
            .Build(services);
    }
}
