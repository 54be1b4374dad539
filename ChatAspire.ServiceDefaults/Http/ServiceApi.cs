using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace ChatAspire.ServiceDefaults.Http;

/// <summary>
/// The request pipeline of a service that people call from the browser (Chat.Files, the RAG service, the AI worker):
/// ProblemDetails for exceptions and empty error statuses, CORS, authentication, authorisation and the request limits,
/// in that order; then its routes, and its OpenAPI document in Development. After <c>MapDefaultEndpoints</c>, whose
/// observability middleware sees every request first.
/// </summary>
public static class ServiceApi
{
    public static WebApplication UseServiceApi(this WebApplication app, Action<IEndpointRouteBuilder> mapRoutes)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestLimits();
        mapRoutes(app);
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi().AllowAnonymous();
        }
        return app;
    }
}
