using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Auth;

namespace Chat.Api.Search;

internal static class SearchRegistration
{
    /// <summary>One search over messages and documents (<c>GET /api/search</c>), answered by the RAG service's team memory.</summary>
    public static IHostApplicationBuilder AddSearch(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<UnifiedSearch>();
        builder.AddServiceClient<MemoryClient>(ResourceNames.Rag, ResourceNames.Api)
            .ConfigureHttpClient(http => http.Timeout = TimeSpan.FromSeconds(10));
        return builder;
    }
}
