using ChatAspire.Contracts;
using Chat.AiWorker.Jobs;
using Chat.AiWorker.Providers;
using Chat.AiWorker.Summaries;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.AiWorker;

internal static class Extensions
{
    public const string ServiceName = ResourceNames.AiWorker;

    public static void AddAiWorker(this IHostApplicationBuilder builder)
    {
        builder.AddServiceRedis(ResourceNames.Redis);
        builder.AddServiceTokens(); // it calls Chat.Api and the RAG service as itself

        builder.Services.AddOptions<ProviderOptions>().BindConfiguration(ProviderOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AiTelemetry>();
        builder.Services.AddSingleton<ProviderHealth>();
        builder.Services.AddSingleton<IChatClient>(ChatClientFactory.Create);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(ProviderHealth.CheckName,
            sp => sp.GetRequiredService<ProviderHealth>(), HealthStatus.Degraded, [ChatAspire.ServiceDefaults.Health.HealthEndpoints.ReadyTag]));

        builder.AddServiceClient<ChatApiClient>(ResourceNames.Api, ServiceName);
        builder.AddServiceClient<RagClient>(ResourceNames.Rag, ServiceName);
        builder.Services.AddScoped<ReplyGenerator>();
        builder.Services.AddSingleton<CancelRegistry>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CancelRegistry>());
        builder.Services.AddHostedService<AiJobConsumer>();
        builder.Services.AddHostedService<QueueMonitor>();
        builder.AddSummaries();
    }
}
