using ChatAspire.Contracts;
using ChatAspire.ServiceDefaults.Auth;
using ChatAspire.ServiceDefaults.Http;

namespace Chat.AiWorker.Summaries;

internal static class SummaryRegistration
{
    /// <summary>
    /// Written "catch me up" summaries: the worker's one API for people (the page calls it from the browser, as it uploads to
    /// Chat.Files), with people's tokens, a per-person limit, and the digest read from Chat.Api with the reader's token.
    /// </summary>
    public static IHostApplicationBuilder AddSummaries(this IHostApplicationBuilder builder)
    {
        builder.AddServiceAuthentication();
        builder.AddRequestLimits();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.AddBrowserOrigins(["POST"]);
        builder.Services.AddOptions<SummaryOptions>().BindConfiguration(SummaryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.AddRequestLimitPolicy<SummaryOptions>(SummaryApi.Policy, o => o.Bucket, context => context.User.FindFirst(TokenIdentity.SubjectClaim)?.Value);
        builder.AddServiceClient<CatchUpDigest>(ResourceNames.Api, ResourceNames.AiWorker);
        builder.Services.AddSingleton<CatchUpSummaries>();
        return builder;
    }

    public static WebApplication MapSummaries(this WebApplication app)
    {
        return app.UseServiceApi(routes => routes.MapSummaryApi());
    }
}
