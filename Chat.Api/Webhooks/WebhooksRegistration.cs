namespace Chat.Api.Webhooks;

internal static class WebhooksRegistration
{
    /// <summary>Incoming webhooks: integrations (CI, monitoring) posting into a channel through a secret URL.</summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<IncomingWebhookService>();
        return builder;
    }
}
