using Chat.RagService.Access;
using Chat.RagService.Retrieval;
using ChatAspire.Contracts;
using ChatAspire.Rules;
using ChatAspire.ServiceDefaults.Http;
using Chat.RagService.Data;
using Chat.RagService.Documents;
using Chat.RagService.Ingestion;
using Chat.RagService.Memory;
using Chat.RagService.Search;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Chat.RagService;

internal static class Extensions
{
    public const string ServiceName = ResourceNames.Rag;

    public static void AddRagService(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase<RagDbContext>(ResourceNames.RagDb);
        builder.AddServiceRedis(ResourceNames.Redis);
        builder.AddServiceAuthentication();
        builder.AddRequestLimits();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.AddBrowserOrigins(["GET", "POST"]); // the web chat searches from the browser (GET /api/search)

        builder.Services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<Documents.DocumentsOptions>().BindConfiguration(Documents.DocumentsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<EmbeddingOptions>().BindConfiguration(EmbeddingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.AddArchiveLimits();
        builder.Services.AddSingleton<RagTelemetry>();
        builder.Services.AddSingleton(EmbeddingGenerator);
        builder.Services.AddHostedService<ModelWarmup>();
        builder.Services.AddSingleton<IndexSync>();
        builder.Services.AddScoped<IngestionPipeline>();
        builder.Services.AddSingleton<QueryEmbeddings>();
        builder.Services.AddScoped<SearchService>();
        builder.AddMemory();
        builder.AddServiceClient<FilesContent>(ResourceNames.Files, ServiceName);
        builder.AddServiceClient<ReadableFiles>(ResourceNames.Api, ServiceName);
        builder.Services.AddHostedService<FileEventsConsumer>();
        builder.Services.AddHostedService<DocumentRegistrar>();
        builder.Services.AddMemoryCache(cache => cache.SizeLimit = 2_000_000); // allowed-document lists, sized by their documents
        builder.Services.AddHostedService<ReembedOnModelChange>();
    }

    public static void MapRagService(this WebApplication app)
    {
        app.UseServiceApi(routes =>
        {
            routes.MapDocumentsApi();
            routes.MapSearchApi();
            routes.MapMemoryApi();
        });
    }

    /// <summary>The configured embedding provider, with OpenTelemetry; MiniLM (built in) unless configured otherwise.</summary>
    private static IEmbeddingGenerator<string, Embedding<float>> EmbeddingGenerator(IServiceProvider sp)
    {
        var o = sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value;
        IEmbeddingGenerator<string, Embedding<float>> inner = o.Provider switch
        {
            "ollama" => new OllamaSharp.OllamaApiClient(o.Endpoint ?? new Uri("http://localhost:11434"), o.Model ?? "all-minilm"),
            "openai" => new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential(o.ApiKey ?? "none"),
                    new OpenAI.OpenAIClientOptions { Endpoint = o.Endpoint ?? new Uri("https://api.openai.com/v1") })
                .GetEmbeddingClient(o.Model ?? "text-embedding-3-small").AsIEmbeddingGenerator(),
            _ => new MiniLmEmbeddingGenerator(),
        };
        return inner.AsBuilder().UseOpenTelemetry(sourceName: RagTelemetry.Name).Build(sp);
    }
}
