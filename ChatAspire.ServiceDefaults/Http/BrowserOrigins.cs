using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatAspire.ServiceDefaults.Http;

/// <summary>
/// CORS for a service the web chat (served by Chat.Api) calls from the browser: the origins in
/// <c>Cors:AllowedOrigins</c> (the AppHost passes Chat.Api's address), bearer tokens in <c>Authorization</c>, the given methods.
/// </summary>
public static class BrowserOrigins
{
    public static IHostApplicationBuilder AddBrowserOrigins(this IHostApplicationBuilder builder, string[] methods, params string[] exposedHeaders)
    {
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .WithOrigins(builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [])
            .WithHeaders("Authorization", "Content-Type")
            .WithMethods(methods)
            .WithExposedHeaders(exposedHeaders)));
        return builder;
    }
}
