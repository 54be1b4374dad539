namespace Chat.Api.Web;

/// <summary>The browser chat at <c>/</c>: static files built into the service, a strict CSP, and the client's settings.</summary>
internal static class WebExtensions
{
    /// <summary>What the page calls beside Chat.Api; <c>AiUrl</c> is empty unless a model writes catch-up summaries.</summary>
    public sealed record ClientConfig(string FilesUrl, string RagUrl, string AiUrl);

    public static WebApplication UseWebClient(this WebApplication app)
    {
        var filesUrl = FilesUrl(app.Configuration);
        var ragUrl = RagUrl(app.Configuration);
        var aiUrl = (app.Configuration["Web:AiUrl"] ?? "").TrimEnd('/');
        var csp = string.Join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' blob: data:",
            $"connect-src 'self' ws: wss: {filesUrl} {ragUrl} {aiUrl}".TrimEnd(),
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "object-src 'none'");
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = csp;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            await next(context);
        });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapGet("/config", () => TypedResults.Ok(new ClientConfig(filesUrl, ragUrl, aiUrl))).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>Chat.Files' address as a browser reaches it: service discovery's <c>services:files:http:0</c>, or <c>Web:FilesUrl</c>.</summary>
    private static string FilesUrl(IConfiguration configuration) =>
        (configuration["Web:FilesUrl"] ?? configuration["services:files:http:0"] ?? configuration["services:files:https:0"] ?? "").TrimEnd('/');

    /// <summary>The RAG service's address as a browser reaches it (the search box asks its <c>GET /api/search</c>): <c>Web:RagUrl</c>.</summary>
    private static string RagUrl(IConfiguration configuration) =>
        (configuration["Web:RagUrl"] ?? configuration["services:rag:http:0"] ?? configuration["services:rag:https:0"] ?? "").TrimEnd('/');
}
